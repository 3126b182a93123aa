import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runtimeClosure } from './closure.js';
import { asQemuBinfmtError, QemuBinfmtError, usageError } from './errors.js';
import { run } from './exec.js';
import { errorInfo, type ErrorInfo } from './report.js';

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
  if (path === '/') throw usageError('--chroot / would bind the interpreter onto itself', 'name the root directory of the chroot or build sandbox');
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw usageError(`--chroot ${dir} is not a directory`, 'name the root directory of the chroot or build sandbox');
  return path;
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

export interface BindResult {
  bound: string[];
  already: string[];
}

/**
 * Bind-mounts each file read-only into the chroot at the same absolute path, creating the mount
 * point. A path already mounted there is left as it is (so this is idempotent).
 */
export async function bindInto(root: string, files: readonly string[]): Promise<BindResult> {
  const result: BindResult = { bound: [], already: [] };
  const mounted = mountPoints();
  for (const file of files) {
    const target = join(root, file);
    if (mounted.has(target)) {
      result.already.push(target);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    closeSync(openSync(target, 'a'));
    await mount(['--bind', file, target], target);
    await mount(['-o', 'remount,bind,ro', target], target);
    result.bound.push(target);
  }
  return result;
}

/** Unmounts exactly these files from the chroot, and removes the empty mount points bindInto made. */
export async function unbindFrom(root: string, files: readonly string[]): Promise<string[]> {
  const mounted = mountPoints();
  const unbound: string[] = [];
  for (const file of files) {
    const target = join(root, file);
    if (!mounted.has(target)) continue;
    const result = await run('umount', [target]);
    if (result.exitCode !== 0) throw new QemuBinfmtError('IO', `umount ${target} failed: ${result.stderr.trim()}`, { path: target });
    unbound.push(target);
    if (statSync(target).size === 0) rmSync(target);
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
): Promise<ChrootResult[]> {
  const results: ChrootResult[] = [];
  for (const dir of dirs) {
    for (const { platform, interpreter } of targets) {
      const result: ChrootResult = { dir, platform, interpreter, changed: [], already: [] };
      try {
        const files = runtimeClosure(interpreter);
        if (action === 'bind') {
          const { bound, already } = await bindInto(dir, files);
          Object.assign(result, { changed: bound, already });
        } else {
          result.changed = await unbindFrom(dir, files);
        }
      } catch (err) {
        result.error = errorInfo(asQemuBinfmtError(err));
      }
      results.push(result);
    }
  }
  return results;
}
