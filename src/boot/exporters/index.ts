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

export type ExportFormat = (typeof EXPORT_FORMATS)[number];
