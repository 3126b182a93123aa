import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, join, resolve } from 'node:path';
import { readElfInfo } from '../elf/header.js';
import { QemuBinfmtError } from '../errors.js';
import { run } from '../exec.js';
import { VersionCache } from './version-cache.js';
import type { Platform } from '../table/platforms.js';

/** Where distributions put QEMU's user-mode emulators, searched after $PATH. */
export const USUAL_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin'];
/** Debian's argv[0]-preserving wrappers: <dir>/<arch>-binfmt-P. */
export const BINFMT_P_DIR = '/usr/libexec/qemu-binfmt';

export interface InterpreterSearch {
  /** One explicit interpreter (only with one platform). */
  interpreter?: string;
  /** Look only in this directory. */
  interpreterDir?: string;
  /** Directories to search otherwise; default $PATH then USUAL_DIRS. */
  searchDirs?: readonly string[];
  /**
   * The system the interpreter belongs to (an image tree), default /: paths are looked up under
   * it, and registered as they are seen from inside it.
   */
  root?: string;
}

export function candidateNames(platform: Platform): string[] {
  return [`${platform.binary}-static`, platform.binary];
}

export function defaultSearchDirs(path = process.env.PATH ?? ''): string[] {
  return [...new Set([...path.split(delimiter).filter((d) => d.startsWith('/')), ...USUAL_DIRS])];
}

function searchDirsOf(search: InterpreterSearch): readonly string[] {
  if (search.interpreterDir !== undefined) return [resolve(search.interpreterDir)];
  // This $PATH says nothing about an image tree's.
  const inImage = search.root !== undefined && resolve(search.root) !== '/';
  return search.searchDirs ?? (inImage ? USUAL_DIRS : defaultSearchDirs());
}

/** Whether a program is installed: an executable NAME in a $PATH directory or a usual one (a stat per directory). */
export function onPath(name: string): boolean {
  return defaultSearchDirs().some((dir) => isExecutableFile(join(dir, name)));
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The names in each directory, read once: one readdir per directory instead of a stat per candidate. */
export class DirectoryIndex {
  private readonly names = new Map<string, ReadonlySet<string>>();

  has(dir: string, name: string): boolean {
    let names = this.names.get(dir);
    if (!names) {
      try {
        names = new Set(readdirSync(dir));
      } catch {
        names = new Set();
      }
      this.names.set(dir, names);
    }
    return names.has(name);
  }
}

/** The interpreter to register: qemu-<binary>-static first, then qemu-<binary>, in search order. */
export function findInterpreter(platform: Platform, search: InterpreterSearch, index = new DirectoryIndex()): string | undefined {
  const root = search.root ?? '/';
  if (search.interpreter !== undefined) {
    const path = resolve(search.interpreter);
    return isExecutableFile(join(root, path)) ? path : undefined;
  }
  const dirs = searchDirsOf(search);
  for (const name of candidateNames(platform)) {
    for (const dir of dirs) {
      if (!index.has(join(root, dir), name)) continue;
      const path = join(dir, name);
      if (isExecutableFile(join(root, path))) return path;
    }
  }
  return undefined;
}

export function describeSearch(platform: Platform, search: InterpreterSearch): string {
  const under = search.root !== undefined && resolve(search.root) !== '/' ? ` under ${resolve(search.root)}` : '';
  if (search.interpreter !== undefined) return `${resolve(search.interpreter)}${under} (not an executable file)`;
  return `${candidateNames(platform).join(' or ')} in ${searchDirsOf(search).join(':')}${under}`;
}

export function installHint(platform: Platform): string {
  const arch = platform.binary.replace(/^qemu-/, '');
  return (
    'install QEMU user-mode emulators: apt-get install qemu-user-static (Debian, Ubuntu), ' +
    `dnf install qemu-user-static (Fedora), pacman -S qemu-user-static (Arch), apk add qemu-${arch} (Alpine); ` +
    'or name one with --interpreter PATH or --interpreter-dir DIR'
  );
}

export interface InterpreterInfo {
  path: string;
  /** ELF without PT_INTERP: safe with F in any chroot or container. */
  isStatic: boolean;
  /** Understands the P flag: a -binfmt-P wrapper, or QEMU >= 6. */
  supportsPreserveArgv0: boolean;
}

/**
 * Reads the interpreter's ELF headers; asks it about P only when askP (it may run it, once: the
 * answer is remembered in the cache for the same file).
 */
export async function inspectInterpreter(path: string, askP = true, root = '/', cache = new VersionCache()): Promise<InterpreterInfo> {
  let isStatic: boolean;
  try {
    isStatic = readElfInfo(join(root, path)).isStatic;
  } catch (err) {
    throw new QemuBinfmtError(
      'INTERPRETER_NOT_FOUND',
      `cannot read the interpreter ${path}: ${err instanceof Error ? err.message : String(err)}`,
      {
        path,
        cause: err,
        hint: 'the interpreter must be a readable executable file',
      },
    );
  }
  return { path, isStatic, supportsPreserveArgv0: askP ? await supportsP(path, root, cache) : false };
}

async function supportsP(path: string, root: string, cache: VersionCache): Promise<boolean> {
  if (basename(path).endsWith('-binfmt-P')) return true;
  // Debian ships <arch>-binfmt-P as a link to the same emulator when that emulator handles P.
  const wrapper = join(
    BINFMT_P_DIR,
    `${basename(path)
      .replace(/^qemu-/, '')
      .replace(/-static$/, '')}-binfmt-P`,
  );
  if (realpathOrUndefined(join(root, wrapper)) === realpathSync(join(root, path))) return true;
  const major = await knownQemuMajor(join(root, path), cache);
  return major !== null && major >= 6;
}

/** The QEMU major version of an emulator: remembered, or asked once (--version) and remembered; null when it does not say. */
export async function knownQemuMajor(file: string, cache: VersionCache): Promise<number | null> {
  let major = cache.get(file);
  if (major === undefined) {
    major = (await qemuMajorVersion(file)) ?? null;
    cache.set(file, major ?? undefined);
  }
  return major;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** What an emulator's --version says after "version" ("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), undefined when it says nothing. */
export async function qemuVersion(path: string): Promise<string | undefined> {
  const result = await run(path, ['--version'], 5_000);
  return result.exitCode === 0 ? /\bversion (.+)$/m.exec(result.stdout)?.[1]?.trim() : undefined;
}

async function qemuMajorVersion(path: string): Promise<number | undefined> {
  const major = /^(\d+)\./.exec((await qemuVersion(path)) ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
}
