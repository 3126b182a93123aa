import type { VIAS } from '../options/definitions.js';
import type { Tree } from '../fs/tree.js';
import type { ExportFormat } from './exporters/index.js';
import { OPENRC_NAME } from './exporters/openrc.js';
import { UNIT_NAME, UNIT_WANTED_BY } from './exporters/systemd-unit.js';

export type Via = (typeof VIAS)[number];

/** Where each way of persisting puts its files, relative to the root of a system. */
export interface Location {
  format: ExportFormat;
  dir: string;
  /** A link that enables the unit or script at boot, as systemctl enable / rc-update add make it. */
  link?: { dir: string; name: string; target: string };
}

export const LOCATIONS: Record<Via, Location> = {
  'binfmt.d': { format: 'binfmt.d', dir: 'etc/binfmt.d' },
  unit: {
    format: 'systemd-unit',
    dir: 'etc/systemd/system',
    link: { dir: `etc/systemd/system/${UNIT_WANTED_BY}.wants`, name: UNIT_NAME, target: `/etc/systemd/system/${UNIT_NAME}` },
  },
  openrc: {
    format: 'openrc',
    dir: 'etc/init.d',
    link: { dir: 'etc/runlevels/default', name: OPENRC_NAME, target: `/etc/init.d/${OPENRC_NAME}` },
  },
};

const anyOf = (tree: Tree, paths: string[]) => paths.some((p) => tree.exists(p));

/** The boot system of a root: systemd-binfmt (binfmt.d), else systemd (a unit), else OpenRC. */
export function detectVia(tree: Tree): Via | undefined {
  if (anyOf(tree, ['usr/lib/systemd/systemd-binfmt', 'lib/systemd/systemd-binfmt'])) return 'binfmt.d';
  if (anyOf(tree, ['usr/lib/systemd/systemd', 'lib/systemd/systemd'])) return 'unit';
  if (anyOf(tree, ['sbin/openrc-run', 'usr/sbin/openrc-run'])) return 'openrc';
  return undefined;
}
