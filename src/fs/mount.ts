import { closeSync, fstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { QemuBinfmtError } from '../errors.js';
import { runWithFds } from '../exec.js';
import type { Tree } from './tree.js';

/**
 * Mounts into a tree that someone else may own, onto exactly the place that was made and
 * checked: the place is held open, and mount(8) gets it as its /proc/self/fd/3, with -c so that
 * the path is never turned back into a name that could lead elsewhere by then (runc's fix for
 * CVE-2021-30465). What was mounted is then found again through the tree and checked in
 * mountinfo; a place that moved meanwhile is unmounted again and named.
 */

const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** The mounts of this mount namespace, from /proc/self/mountinfo: each mount point and its per-mount options. */
function mountInfo(mountinfo = '/proc/self/mountinfo'): Array<{ point: string; options: string }> {
  return readFileSync(mountinfo, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(' ');
      return { point: unescape(fields[4]!), options: fields[5]! };
    });
}

/** Whether a path is on a read-only mount in this mount namespace (the topmost of those that contain it). */
export function mountedReadOnly(path: string): boolean {
  try {
    const under = (point: string) => path === point || path.startsWith(point === '/' ? '/' : `${point}/`);
    const containing = mountInfo().filter((m) => under(m.point));
    const deepest = Math.max(...containing.map((m) => m.point.length));
    const mount = containing.findLast((m) => m.point.length === deepest);
    return mount?.options.split(',').includes('ro') ?? false;
  } catch {
    return false;
  }
}

/** Mount points of this mount namespace. */
function mountPoints(mountinfo = '/proc/self/mountinfo'): Set<string> {
  return new Set(mountInfo(mountinfo).map((m) => m.point));
}

/** mount or umount on exactly the place held open as fd. */
export function onto(tool: 'mount' | 'umount', args: readonly string[], fd: number, shown: string): void {
  const result = runWithFds(tool, ['-c', ...args, '/proc/self/fd/3'], [fd]);
  if (result.exitCode !== 0) {
    throw new QemuBinfmtError('IO', `${tool} ${[...args, shown].join(' ')} failed: ${(result.stderr || result.errno || '').trim()}`, {
      path: shown,
      hint: 'mounting needs root (CAP_SYS_ADMIN) in this mount namespace',
    });
  }
}

export const sameFile = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;
/** Where a descriptor is, as this mount namespace names it. */
const whereIs = (fd: number) => readlinkSync(`/proc/self/fd/${fd}`);

/** A source is mounted at the place held: the place is that file or directory, and a mount point. */
export function mountedAt(fd: number, source: Stats): boolean {
  return sameFile(fstatSync(fd), source) && mountPoints().has(whereIs(fd));
}

export interface MountRequest {
  /** The path inside the tree, as the tree resolves it (its links followed inside it). */
  inside: string;
  kind: 'file' | 'directory';
  /** mount's arguments before the target: ['--rbind', '/dev'], ['-t', 'tmpfs', 'tmpfs']. */
  args: readonly string[];
  /** A bind: what it binds (it must be found at the place afterwards). */
  source?: string;
  /** Made read-only after the bind (never a writable bind of a host file). */
  readOnly?: boolean;
}

/** Mounts as asked; 'already' when the source is mounted there already. Returns the place, as this namespace names it. */
export function mountInTree(tree: Tree, request: MountRequest): { place: string; already: boolean } {
  const source = request.source === undefined ? undefined : statSync(request.source);
  const point = tree.holdMountPoint(request.inside, request.kind, true);
  const shown = tree.show(point.inside);
  try {
    if (source && mountedAt(point.fd, source)) return { place: shown, already: true };
    onto('mount', request.args, point.fd, shown);
    const mounted = tree.hold(point.inside);
    try {
      const where = mounted && whereIs(mounted.fd);
      const line = where === undefined ? undefined : mountInfo().find((m) => m.point === where);
      if (!mounted || !line || (source && !sameFile(mounted.stat, source))) throw moved(shown);
      if (request.readOnly) {
        onto('mount', ['-o', 'remount,bind,ro'], mounted.fd, shown);
        if (!mountInfo().some((m) => m.point === where && m.options.split(',').includes('ro'))) throw moved(shown);
      }
    } catch (err) {
      // umount finds the mount on top of the place held (it follows the last step's mounts).
      onto('umount', ['-l'], point.fd, shown);
      throw err;
    } finally {
      if (mounted) closeSync(mounted.fd);
    }
    return { place: shown, already: false };
  } finally {
    closeSync(point.fd);
  }
}

function moved(shown: string): QemuBinfmtError {
  return new QemuBinfmtError('UNSAFE_PATH', `${shown} changed while it was being mounted, so it was unmounted again`, {
    path: shown,
    hint: 'something is moving files in that tree: make sure no one else changes it, then run this again',
  });
}
