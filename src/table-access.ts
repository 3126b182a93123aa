import { DEFAULT_BINFMT_DIR, openBinfmtTable, type BinfmtTable } from './binfmt-dir.js';
import { QemuBinfmtError } from './errors.js';
import { inChildUserNamespace } from './host.js';

export interface TableOptions {
  /** binfmt_misc directory; default $QEMU_BINFMT_DIR, else /proc/sys/fs/binfmt_misc. */
  binfmtDir?: string;
  /** Mount binfmt_misc when it is not mounted (never unmounted afterwards). */
  mount?: boolean;
  /** Refuse to work in a user namespace of its own, where registrations would be private to it. */
  refusePrivate?: boolean;
}

export function binfmtDirOf(options: TableOptions): string {
  return options.binfmtDir || process.env.QEMU_BINFMT_DIR || DEFAULT_BINFMT_DIR;
}

export interface TableAccess {
  table: BinfmtTable;
  mounted: boolean;
  privateNamespace: boolean;
  notices: string[];
}

export const PRIVATE_NAMESPACE_NOTICE =
  'this runs in a user namespace of its own: on Linux >= 6.7 its binfmt_misc table is private to it, ' +
  'so these registrations are not seen by the host and vanish with the namespace';

/**
 * Opens the table, mounting it first when asked (and never when mayMount is false).
 * Without a mount, and without permission to make one, it fails with a hint.
 */
export async function accessTable(options: TableOptions, mayMount = true, requireMounted = true): Promise<TableAccess> {
  const table = openBinfmtTable(binfmtDirOf(options));
  const notices: string[] = [];
  const privateNamespace = inChildUserNamespace();
  if (privateNamespace && options.refusePrivate) {
    throw new QemuBinfmtError(
      'PRIVATE_NAMESPACE',
      'this container runs in a user namespace of its own (rootless docker or podman, or --userns): on Linux >= 6.7 registrations made here are private to it and vanish when it exits, so nothing was registered',
      { hint: 'run it rootful without a user namespace (docker run --privileged, or --cap-add SYS_ADMIN), or add --allow-private to register in the private table anyway' },
    );
  }
  let mounted = table.isMounted();
  if (!mounted && options.mount && mayMount) {
    await table.mount();
    mounted = true;
    notices.push(`mounted binfmt_misc on ${table.dir} (it stays mounted)`);
  }
  if (!mounted && requireMounted) throw notMounted(table.dir);
  if (privateNamespace) notices.push(PRIVATE_NAMESPACE_NOTICE);
  return { table, mounted, privateNamespace, notices };
}

export function notMounted(dir: string): QemuBinfmtError {
  return new QemuBinfmtError('NOT_MOUNTED', `binfmt_misc is not mounted at ${dir} (no ${dir}/register)`, {
    path: dir,
    hint: `add --mount, or run: mount -t binfmt_misc binfmt_misc ${dir}`,
  });
}
