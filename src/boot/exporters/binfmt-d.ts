import { header } from '../file-mark.js';
import type { Exporter } from './types.js';

/**
 * A platform's file names, as it loads usually and last: systemd-binfmt loads the files of all its
 * directories in the order of their names, so a later one's entry is newer and wins. The usual
 * name is the distribution's, which ours overrides.
 */
export const binfmtDNames = (entry: string) => ({ usual: `${entry}.conf`, last: `zz-${entry}.conf` });

/** systemd-binfmt / binfmt.d(5): one qemu-<platform>.conf per platform, as distro packages name them (zz- first where ours must win). */
export const binfmtD: Exporter = ({ targets, regenerate, createdDirs = [], choices }) =>
  targets.map((t) => ({
    name: binfmtDNames(t.registration.name)[choices?.get(t.platform.name)?.last ? 'last' : 'usual'],
    content: [...header({ regenerate, createdDirs }), t.line.trimEnd(), ''].join('\n'),
    mode: 0o644,
  }));
