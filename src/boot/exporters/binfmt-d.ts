import { header } from '../file-mark.js';
import type { Exporter } from './types.js';

/** systemd-binfmt / binfmt.d(5): one qemu-<platform>.conf per platform, as distro packages name them. */
export const binfmtD: Exporter = ({ targets, regenerate, createdDirs = [] }) =>
  targets.map((t) => ({
    name: `${t.registration.name}.conf`,
    content: [...header({ regenerate, createdDirs }), t.line.trimEnd(), ''].join('\n'),
    mode: 0o644,
  }));
