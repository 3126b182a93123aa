import { binfmtD } from './binfmt-d.js';
import { binfmtSupport } from './binfmt-support.js';
import { openrc } from './openrc.js';
import { sh } from './sh.js';
import { systemdUnit } from './systemd-unit.js';
import { unshare } from './unshare.js';
import type { EXPORT_FORMATS } from '../../options/definitions.js';
import type { Exporter } from './types.js';

export const EXPORTERS = {
  'binfmt.d': binfmtD,
  'binfmt-support': binfmtSupport,
  sh,
  'systemd-unit': systemdUnit,
  openrc,
  unshare,
} satisfies Record<ExportFormat, Exporter>;

/**
 * When a format decides whether ours serves a platform another emulator wants: when the files are
 * written (they leave such platforms out), at each boot (a script or enable then), or never (a
 * private instance holds no other emulator).
 */
export const DECIDES = {
  'binfmt.d': 'when-written',
  'binfmt-support': 'when-written',
  sh: 'at-boot',
  'systemd-unit': 'at-boot',
  openrc: 'at-boot',
  unshare: 'never',
} as const satisfies Record<ExportFormat, 'when-written' | 'at-boot' | 'never'>;

export type ExportFormat = (typeof EXPORT_FORMATS)[number];
