import { fstatSync, mkdirSync, mkdtempSync, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asQemuBinfmtError, QemuBinfmtError } from '../errors.js';
import { runWithFds } from '../exec.js';
import { mountInTree, sameFile } from '../fs/mount.js';
import { Tree } from '../fs/tree.js';

/**
 * The mounts of `run --rootfs`, made inside its new user and mount namespaces, as a program of
 * its own (the inside script starts it with this Node only when there is a root filesystem):
 * /proc, /dev and /sys bound, a tmpfs on /tmp, /etc/resolv.conf and the --bind pairs, each onto
 * the place in the root filesystem that was made or found and checked, held open, as the root
 * filesystem's own links resolve inside it. Whoever owns the root filesystem cannot move a
 * mount out of it, whoever runs this.
 *
 * A root filesystem this user cannot write (unpacked by root, made by debootstrap) that lacks a
 * mount point gets an overlay: the root filesystem below, a private tmpfs above, where the mount
 * points are made; its path is printed on stdout, and the command is chrooted there. What is
 * optional (/etc/resolv.conf) is left out with a notice when it cannot be made.
 *
 * Arguments: ROOTFS [SRC DST]... [-- ...]
 */

/** The mount points a command needs in its root filesystem. */
const REQUIRED = ['/proc', '/dev', '/sys', '/tmp'];

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);
const cannotWrite = (err: unknown) => PERMISSION.has(asQemuBinfmtError(err).errno ?? '');

function mountRootfs(root: string, binds: ReadonlyArray<readonly [string, string]>): string | undefined {
  // The root filesystem as opened in this namespace (fd 5) must be the directory run checked
  // outside it (fd 4), where owners mean something; every path then resolves from it.
  if (!sameFile(fstatSync(5), fstatSync(4)))
    throw new QemuBinfmtError('UNSAFE_PATH', `${root} changed after it was checked, so nothing was mounted`, {
      path: root,
      hint: 'make sure no one else moves it, then run this again',
    });
  let tree = Tree.fromDescriptor(5, root);
  let overlay: string | undefined;
  try {
    const missing = REQUIRED.filter((dir) => !tree.stat(dir)?.isDirectory());
    if (!makes(tree, missing)) {
      tree.close();
      overlay = overlayOf(root, missing);
      tree = Tree.fromDescriptor(openSync(overlay, 'r'), root);
      process.stderr.write(
        `notice: ${root} lacks ${missing.join(' ')} and this user cannot make them there: the command sees it through an overlay whose changes stay in memory\n`,
      );
    }
    for (const dir of ['/proc', '/dev', '/sys']) mountInTree(tree, { inside: dir, kind: 'directory', args: ['--rbind', dir], source: dir });
    mountInTree(tree, { inside: '/tmp', kind: 'directory', args: ['-t', 'tmpfs', 'tmpfs'] });
    resolvConf(tree, root);
    for (const [src, dst] of binds)
      mountInTree(tree, { inside: dst, kind: statSync(src).isDirectory() ? 'directory' : 'file', args: ['--rbind', src], source: src });
  } finally {
    tree.close();
  }
  return overlay;
}

/** Makes the missing mount points; false when this user may not write there (then an overlay is needed). */
function makes(tree: Tree, missing: readonly string[]): boolean {
  try {
    for (const dir of missing) tree.mkdirs(dir, true);
    return true;
  } catch (err) {
    if (cannotWrite(err)) return false;
    throw err;
  }
}

/** The host's /etc/resolv.conf, so that names resolve inside; left out with a notice where it cannot be made. */
function resolvConf(tree: Tree, root: string): void {
  // A link there (to /run/..., say) is left alone: it is the root filesystem's own business.
  if (!statSync('/etc/resolv.conf', { throwIfNoEntry: false })?.isFile() || tree.stat('/etc/resolv.conf', false)?.isSymbolicLink()) return;
  try {
    mountInTree(tree, { inside: '/etc/resolv.conf', kind: 'file', args: ['--bind', '/etc/resolv.conf'], source: '/etc/resolv.conf' });
  } catch (err) {
    if (!cannotWrite(err)) throw err;
    process.stderr.write(
      `notice: left out /etc/resolv.conf: ${root}/etc is not writable for this user, so names resolve as the root filesystem's own files say\n`,
    );
  }
}

/**
 * An overlay of the root filesystem (held open as fd 5, so exactly the directory checked) under
 * a private tmpfs: the mount points are made in the upper layer. Its merged directory is returned.
 */
function overlayOf(root: string, missing: readonly string[]): string {
  const scratch = mkdtempSync(join(tmpdir(), 'qemu-binfmt-rootfs-'));
  const refuse = (why: string) =>
    new QemuBinfmtError('IO', `${root} lacks ${missing.join(' ')}, this user cannot make them there, and ${why}`, {
      path: root,
      hint: `make them in it as its owner (mkdir ${missing.map((d) => `${root}${d}`).join(' ')}), or run this as its owner`,
    });
  const tmpfs = runWithFds('mount', ['-t', 'tmpfs', 'tmpfs', scratch], []);
  if (tmpfs.exitCode !== 0) throw refuse(`a private tmpfs could not be mounted for an overlay: ${tmpfs.stderr.trim()}`);
  for (const dir of ['upper', 'work', 'merged']) mkdirSync(join(scratch, dir));
  const options = `lowerdir=/proc/self/fd/3,upperdir=${scratch}/upper,workdir=${scratch}/work`;
  const mounted = runWithFds('mount', ['-t', 'overlay', 'overlay', '-o', options, join(scratch, 'merged')], [5]);
  if (mounted.exitCode !== 0)
    throw refuse(`an overlay over it could not be mounted (overlayfs in a user namespace needs Linux >= 5.11): ${mounted.stderr.trim()}`);
  return join(scratch, 'merged');
}

const [root = '', ...after] = process.argv.slice(2);
const end = after.indexOf('--');
const rest = end < 0 ? after : after.slice(0, end);
const binds = Array.from({ length: Math.floor(rest.length / 2) }, (_, i) => [rest[2 * i]!, rest[2 * i + 1]!] as const);
try {
  if (!root.startsWith('/')) throw new QemuBinfmtError('USAGE', `mount-rootfs: ${JSON.stringify(root)} is not an absolute path`);
  const overlay = mountRootfs(root, binds);
  if (overlay) process.stdout.write(`${overlay}\n`);
} catch (err) {
  process.stderr.write(`qemu-binfmt: ${asQemuBinfmtError(err).describe()}\n`);
  process.exitCode = 1;
}
