import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runtimeClosure } from './closure.js';
import { asQemuBinfmtError, errorInfo, QemuBinfmtError, usageError, type ErrorInfo } from '../errors.js';
import { run } from '../exec.js';

/** Mount points of this mount namespace, from /proc/self/mountinfo. */
export function mountPoints(mountinfo = '/proc/self/mountinfo'): Set<string> {
  return new Set(
    readFileSync(mountinfo, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))),
  );
}

/** A chroot directory to bind into: an existing directory, and never / itself. */
export function checkChrootDir(dir: string): string {
  const path = resolve(dir);
  if (path === '/')
    throw usageError('--chroot / would bind the interpreter onto itself', 'name the root directory of the chroot or build sandbox');
  const isDir = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (!isDir) throw usageError(`--chroot ${dir} is not a directory`, 'name the root directory of the chroot or build sandbox');
  const real = realpathSync(path);
  if (real === '/') throw usageError(`--chroot ${dir} is / itself`, 'name the root directory of the chroot or build sandbox');
  return real;
}

async function mount(args: string[], target: string): Promise<void> {
  const result = await run('mount', args);
  if (result.exitCode !== 0) {
    throw new QemuBinfmtError('IO', `mount ${args.join(' ')} failed: ${result.stderr.trim()}`, {
      path: target,
      hint: 'binding needs root (CAP_SYS_ADMIN) in this mount namespace',
    });
  }
}

/**
 * The host path of `path` as seen inside `root`: symbolic links in the tree are followed within
 * it (an absolute target starts again at the root, .. stops at the root), so nothing is ever
 * made or mounted outside the tree. The part that does not exist yet is appended as it is.
 */
export function resolveInRoot(root: string, path: string): string {
  const queue = path.split('/').filter(Boolean);
  let current = root;
  let links = 0;
  while (queue.length) {
    const part = queue.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      if (current !== root) current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      return join(next, ...queue);
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > 40) throw new QemuBinfmtError('IO', `too many symbolic links under ${root} resolving ${path}`, { path: next });
    const target = readlinkSync(next);
    queue.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) current = root;
  }
  return current;
}

/** True when target is a bind mount of file: the same inode. */
function isBindOf(target: string, file: string): boolean {
  try {
    const [a, b] = [statSync(target), statSync(file)];
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

export interface BindResult {
  bound: string[];
  already: string[];
}

/**
 * Bind-mounts each file read-only into the chroot at the same absolute path, creating the mount
 * point. A path already bound there is left as it is (so this is idempotent).
 */
export async function bindInto(root: string, files: readonly string[]): Promise<BindResult> {
  const result: BindResult = { bound: [], already: [] };
  const mounted = mountPoints();
  for (const file of files) {
    const target = resolveInRoot(root, file);
    if (mounted.has(target) && isBindOf(target, file)) {
      result.already.push(target);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    closeSync(openSync(target, 'a'));
    await mount(['--bind', file, target], target);
    try {
      await mount(['-o', 'remount,bind,ro', target], target);
    } catch (err) {
      await run('umount', [target]); // never leave a writable bind of a host file
      throw err;
    }
    result.bound.push(target);
  }
  return result;
}

/**
 * Unmounts these files' binds from the chroot (only binds of the same files, and not those in
 * keep: files other registered interpreters still need), and removes the empty mount points.
 */
export async function unbindFrom(root: string, files: readonly string[], keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const mounted = mountPoints();
  const unbound: string[] = [];
  for (const file of files) {
    const target = resolveInRoot(root, file);
    if (keep.has(target) || !mounted.has(target) || !isBindOf(target, file)) continue;
    const result = await run('umount', [target]);
    if (result.exitCode !== 0) throw new QemuBinfmtError('IO', `umount ${target} failed: ${result.stderr.trim()}`, { path: target });
    unbound.push(target);
    const placeholder = statSync(target);
    if (placeholder.isFile() && placeholder.size === 0) rmSync(target);
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
export async function applyToChroots(
  action: 'bind' | 'unbind',
  dirs: readonly string[],
  targets: ReadonlyArray<{ platform: string; interpreter: string }>,
  /** Unbinding: interpreters that stay registered, whose files stay bound. */
  staying: readonly string[] = [],
): Promise<ChrootResult[]> {
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
    const keep = new Set(stayingFiles.map((f) => resolveInRoot(dir, f)));
    for (const { platform, interpreter } of targets) {
      const result: ChrootResult = { dir, platform, interpreter, changed: [], already: [] };
      try {
        const files = closures.get(interpreter)!;
        if (files instanceof QemuBinfmtError) throw files;
        if (action === 'bind') {
          const { bound, already } = await bindInto(dir, files);
          Object.assign(result, { changed: bound, already });
        } else {
          result.changed = await unbindFrom(dir, files, keep);
        }
      } catch (err) {
        result.error = errorInfo(asQemuBinfmtError(err));
      }
      results.push(result);
    }
  }
  return results;
}
