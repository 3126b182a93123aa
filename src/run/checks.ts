import { readFileSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { join } from 'node:path';
import { QemuBinfmtError } from '../errors.js';
import { onPath } from '../fs/files.js';

/** How the caller is mapped inside: to root alone, or root plus its /etc/subuid and /etc/subgid ranges. */
type UidMap = 'root' | 'auto';

export interface RootlessChecks {
  /** The kernel release to judge (default: this kernel's). */
  kernelRelease?: string;
  /** Where the sysctls are read (default /proc/sys). */
  procSys?: string;
  map?: UidMap;
  /** /etc/subuid and /etc/subgid (default those). */
  subuidFile?: string;
  subgidFile?: string;
}

const unavailable = (message: string, hint: string) => new QemuBinfmtError('ROOTLESS_UNAVAILABLE', message, { hint });

/** Linux 6.7 gave each user namespace a binfmt_misc instance of its own. */
export function hasPrivateInstances(kernel: string): boolean {
  const [major = 0, minor = 0] = kernel.split('.').map((n) => Number.parseInt(n, 10));
  return major > 6 || (major === 6 && minor >= 7);
}

function sysctl(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, ...name.split('.')), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether NAME has a range in an /etc/subuid-style file (by user name or uid). */
function hasRange(file: string, name: string, id: number): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .some((line) => {
        const [who, , count] = line.split(':');
        return (who === name || who === String(id)) && Number(count) > 0;
      });
  } catch {
    return false;
  }
}

/**
 * Why a private binfmt_misc table cannot be had here, before anything is started: the kernel,
 * the sysctls that switch user namespaces off (with the exact setting to change), unshare, and
 * for --map auto newuidmap and the caller's subordinate ranges. Throws ROOTLESS_UNAVAILABLE.
 */
export function checkRootless(options: RootlessChecks = {}): void {
  const kernel = options.kernelRelease ?? release();
  if (!hasPrivateInstances(kernel))
    throw unavailable(
      `Linux ${kernel} has one binfmt_misc table for the whole system: a private one needs Linux >= 6.7`,
      'use a newer kernel, or register for the whole system as root: qemu-binfmt enable',
    );
  const dir = options.procSys ?? '/proc/sys';
  const root = process.getuid?.() === 0;
  if (sysctl(dir, 'user.max_user_namespaces') === '0')
    throw unavailable('user namespaces are switched off (user.max_user_namespaces = 0)', 'sysctl -w user.max_user_namespaces=15000');
  if (!root && sysctl(dir, 'kernel.unprivileged_userns_clone') === '0')
    throw unavailable(
      'unprivileged user namespaces are switched off (kernel.unprivileged_userns_clone = 0)',
      'sysctl -w kernel.unprivileged_userns_clone=1',
    );
  if (!root && sysctl(dir, 'kernel.apparmor_restrict_unprivileged_userns') === '1')
    throw unavailable(
      'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)',
      'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give unshare an AppArmor profile that allows userns',
    );
  if (!onPath('unshare')) throw unavailable('unshare (util-linux) is not installed', 'apt-get install util-linux');
  if (options.map === 'auto') {
    for (const tool of ['newuidmap', 'newgidmap'])
      if (!onPath(tool)) throw unavailable(`--map auto needs ${tool}, which is not installed`, 'apt-get install uidmap, or use --map root');
    const { username, uid } = userInfo();
    for (const [file, what] of [
      [options.subuidFile ?? '/etc/subuid', 'user'],
      [options.subgidFile ?? '/etc/subgid', 'group'],
    ] as const) {
      if (!hasRange(file, username, uid))
        throw unavailable(
          `--map auto: ${file} gives ${username} no subordinate ${what} IDs`,
          `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${username}, or use --map root`,
        );
    }
  }
}
