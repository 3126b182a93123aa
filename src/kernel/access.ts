import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { QemuBinfmtError, usageError } from '../errors.js';
import { DEFAULT_BINFMT_DIR, openBinfmtTable } from './binfmt-dir.js';
import type { BinfmtTable } from './binfmt-table.js';
import { anotherInstance, notMounted } from './errors.js';
import { inChildUserNamespace } from './namespace.js';
import { CONDITIONS, type Condition } from '../conditions.js';

export interface TableOptions {
  /** binfmt_misc directory; default $QEMU_BINFMT_DIR, else /proc/sys/fs/binfmt_misc. */
  binfmtDir?: string;
  /** The table itself (an in-memory one, say); default the kernel's at binfmtDir. */
  table?: BinfmtTable;
  /** Mount binfmt_misc when it is not mounted (never unmounted afterwards). */
  mount?: boolean;
  /** Refuse to work in a user namespace of its own, where registrations would be private to it. */
  refusePrivate?: boolean;
}

export function binfmtDirOf(options: TableOptions): string {
  return options.table?.dir || options.binfmtDir || process.env.QEMU_BINFMT_DIR || DEFAULT_BINFMT_DIR;
}

/** The table the options name: the one given, or the kernel's at --binfmt-dir or $QEMU_BINFMT_DIR (checked) or the default. */
export function tableOf(options: TableOptions): BinfmtTable {
  if (options.table) return options.table;
  const fromEnv = !options.binfmtDir ? process.env.QEMU_BINFMT_DIR : undefined;
  if (fromEnv && (!isAbsolute(fromEnv) || !statSync(fromEnv, { throwIfNoEntry: false })?.isDirectory())) {
    throw usageError(
      `QEMU_BINFMT_DIR=${fromEnv} is not ${isAbsolute(fromEnv) ? 'a directory' : 'an absolute path'}`,
      'set it to the binfmt_misc directory, or unset it',
    );
  }
  return openBinfmtTable(binfmtDirOf(options));
}

export interface TableAccess {
  table: BinfmtTable;
  mounted: boolean;
  privateNamespace: boolean;
  /** What is worth saying about the table: mounted now, private to this namespace. */
  conditions: Condition[];
}

/**
 * Opens the table, mounting it first when asked (and never when mayMount is false).
 * Without a mount, and without permission to make one, it fails with a hint.
 */
export async function accessTable(options: TableOptions, mayMount = true, requireMounted = true): Promise<TableAccess> {
  const table = tableOf(options);
  const conditions: Condition[] = [];
  const privateNamespace = inChildUserNamespace();
  if (privateNamespace && options.refusePrivate) {
    throw new QemuBinfmtError(
      'PRIVATE_NAMESPACE',
      'this container runs in a user namespace of its own (rootless docker or podman, or --userns): on Linux >= 6.7 registrations made here are private to it and vanish when it exits, so nothing was registered',
      {
        hint: 'run it rootful without a user namespace (docker run --privileged, or --cap-add SYS_ADMIN), or add --allow-private to register in the private table anyway',
      },
    );
  }
  const state = table.mountState();
  let mounted = state === 'mounted';
  // Another instance than the one this table started with: never written to; --mount puts this namespace's own there.
  if (state === 'other' && !(options.mount && mayMount)) throw anotherInstance(table);
  if (!mounted && options.mount && mayMount) {
    const { seen, bound } = table.instances();
    if (state === 'other') conditions.push(CONDITIONS.OTHER_INSTANCE(table.dir, seen ?? 'unknown', bound));
    await table.mount();
    mounted = true;
    conditions.push(CONDITIONS.MOUNTED_NOW(table.dir));
  }
  if (!mounted && requireMounted) throw notMounted(table.dir, state === 'plain');
  if (privateNamespace) conditions.push(CONDITIONS.PRIVATE_TABLE());
  return { table, mounted, privateNamespace, conditions };
}
