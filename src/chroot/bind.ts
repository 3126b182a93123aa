import { closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { runtimeClosure } from '../elf/closure.js';
import { asQemuBinfmtError, errorInfo, QemuBinfmtError, usageError, type ErrorInfo } from '../errors.js';
import { mountedAt, mountInTree, onto, sameFile } from '../fs/mount.js';
import { Tree } from '../fs/tree.js';

/**
 * A chroot directory to bind into: an existing directory, and never / itself. It is reached the
 * way every tree is (Tree.open): a link of another user's cannot lead it to a directory of root's.
 */
export function checkChrootDir(dir: string): string {
  const path = resolve(dir);
  const hint = 'name the root directory of the chroot or build sandbox';
  if (path === '/') throw usageError('--chroot / would bind the interpreter onto itself', hint);
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`--chroot ${dir} is not a directory`, hint);
  const tree = Tree.open(path);
  try {
    if (sameFile(tree.stat('.')!, statSync('/'))) throw usageError(`--chroot ${dir} is / itself`, hint);
  } finally {
    tree.close();
  }
  return path;
}

interface BindResult {
  bound: string[];
  already: string[];
}

/**
 * Bind-mounts each file read-only into the chroot at the same absolute path, as the chroot
 * resolves it (its links followed inside it), creating the mount point. The mount goes onto the
 * place held open when it was made and checked; it is then found again, checked to be the file,
 * made read-only, and checked in mountinfo: a place that moved is unmounted and named. A path
 * already bound there is left as it is (so this is idempotent).
 */
function bindInto(root: string, files: readonly string[]): BindResult {
  const result: BindResult = { bound: [], already: [] };
  const tree = Tree.open(root);
  try {
    for (const file of files) {
      const { place, already } = mountInTree(tree, { inside: file, kind: 'file', args: ['--bind', file], source: file, readOnly: true });
      (already ? result.already : result.bound).push(place);
    }
  } finally {
    tree.close();
  }
  return result;
}

/**
 * Unmounts these files' binds from the chroot (only binds of the same files, and not those in
 * keep: files other registered interpreters still need), and removes the empty mount points.
 */
function unbindFrom(root: string, files: readonly string[], keep: ReadonlySet<string> = new Set()): string[] {
  const unbound: string[] = [];
  const tree = Tree.open(root);
  try {
    for (const file of files) {
      const inside = tree.realpath(file);
      if (inside === undefined || keep.has(inside)) continue;
      const held = tree.hold(inside);
      if (!held) continue;
      const shown = tree.show(inside);
      try {
        if (!mountedAt(held.fd, statSync(file))) continue;
        onto('umount', ['-l'], held.fd, shown);
      } finally {
        closeSync(held.fd);
      }
      unbound.push(shown);
      const placeholder = tree.stat(inside, false);
      if (placeholder?.isFile() && placeholder.size === 0) tree.remove(inside);
    }
  } finally {
    tree.close();
  }
  return unbound;
}

export interface ChrootResult {
  dir: string;
  platform: string;
  interpreter: string;
  /** Mount points made now (enable) or removed now (disable). */
  changed: string[];
  /** Mount points that were already there (enable). */
  already: string[];
  error?: ErrorInfo;
}

/** For each chroot and each platform: bind (or unbind) the interpreter's whole runtime closure. */
export function applyToChroots(
  action: 'bind' | 'unbind',
  dirs: readonly string[],
  targets: ReadonlyArray<{ platform: string; interpreter: string }>,
  /** Unbinding: interpreters that stay registered, whose files stay bound. */
  staying: readonly string[] = [],
): ChrootResult[] {
  if (dirs.length === 0) return [];
  // Each closure is computed once, whatever the number of chroots.
  const closureOf = (interpreter: string): string[] | QemuBinfmtError => {
    try {
      return runtimeClosure(interpreter);
    } catch (err) {
      return asQemuBinfmtError(err);
    }
  };
  const closures = new Map([...targets.map((t) => t.interpreter), ...staying].map((i) => [i, closureOf(i)] as const));
  // An interpreter that cannot be read keeps nothing bound.
  const stayingFiles = staying.flatMap((i) => {
    const files = closures.get(i);
    return Array.isArray(files) ? files : [];
  });
  const results: ChrootResult[] = [];
  for (const dir of dirs) {
    const tree = Tree.open(dir);
    const keep = new Set(stayingFiles.map((f) => tree.realpath(f)).filter((f) => f !== undefined));
    tree.close();
    for (const { platform, interpreter } of targets) {
      const result: ChrootResult = { dir, platform, interpreter, changed: [], already: [] };
      try {
        const files = closures.get(interpreter)!;
        if (files instanceof QemuBinfmtError) throw files;
        if (action === 'bind') {
          const { bound, already } = bindInto(dir, files);
          Object.assign(result, { changed: bound, already });
        } else {
          result.changed = unbindFrom(dir, files, keep);
        }
      } catch (err) {
        result.error = errorInfo(asQemuBinfmtError(err));
      }
      results.push(result);
    }
  }
  return results;
}
