import { fstatSync, statSync } from 'node:fs';
import { asQemuBinfmtError, QemuBinfmtError } from '../errors.js';
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
 * Arguments: ROOTFS [SRC DST]... [-- ...]
 */
function mountRootfs(root: string, binds: ReadonlyArray<readonly [string, string]>): void {
  // The root filesystem as opened in this namespace (fd 5) must be the directory run checked
  // outside it (fd 4), where owners mean something; every path then resolves from it.
  if (!sameFile(fstatSync(5), fstatSync(4)))
    throw new QemuBinfmtError('UNSAFE_PATH', `${root} changed after it was checked, so nothing was mounted`, {
      path: root,
      hint: 'make sure no one else moves it, then run this again',
    });
  const tree = Tree.fromDescriptor(5, root);
  try {
    for (const dir of ['/proc', '/dev', '/sys']) mountInTree(tree, { inside: dir, kind: 'directory', args: ['--rbind', dir], source: dir });
    mountInTree(tree, { inside: '/tmp', kind: 'directory', args: ['-t', 'tmpfs', 'tmpfs'] });
    // A link there (to /run/..., say) is left alone: it is the root filesystem's own business.
    if (statSync('/etc/resolv.conf', { throwIfNoEntry: false })?.isFile() && !tree.stat('/etc/resolv.conf', false)?.isSymbolicLink())
      mountInTree(tree, { inside: '/etc/resolv.conf', kind: 'file', args: ['--bind', '/etc/resolv.conf'], source: '/etc/resolv.conf' });
    for (const [src, dst] of binds)
      mountInTree(tree, { inside: dst, kind: statSync(src).isDirectory() ? 'directory' : 'file', args: ['--rbind', src], source: src });
  } finally {
    tree.close();
  }
}

const [root = '', ...after] = process.argv.slice(2);
const end = after.indexOf('--');
const rest = end < 0 ? after : after.slice(0, end);
const binds = Array.from({ length: Math.floor(rest.length / 2) }, (_, i) => [rest[2 * i]!, rest[2 * i + 1]!] as const);
try {
  if (!root.startsWith('/')) throw new QemuBinfmtError('USAGE', `mount-rootfs: ${JSON.stringify(root)} is not an absolute path`);
  mountRootfs(root, binds);
} catch (err) {
  process.stderr.write(`qemu-binfmt: ${asQemuBinfmtError(err).describe()}\n`);
  process.exitCode = 1;
}
