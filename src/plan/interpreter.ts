import { defaultSearchDirs, isExecutableFile, USUAL_DIRS } from '../fs/files.js';
import { INSTALL_STATIC_EMULATORS } from '../conditions.js';
import { closeSync, openSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readElfInfo } from '../elf/header.js';
import { QemuBinfmtError } from '../errors.js';
import { readQemuVersion } from '../elf/qemu-version.js';
import { Tree } from '../fs/tree.js';
import { VersionCache } from './version-cache.js';
import type { EmulatorBuild } from './qemu-facts.js';
import type { Platform } from '../table/platforms.js';

/** ELF e_type of a position-dependent executable. */
const ET_EXEC = 2;

/** Debian's argv[0]-preserving wrappers: <dir>/<arch>-binfmt-P. */
const BINFMT_P_DIR = '/usr/libexec/qemu-binfmt';

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

function candidateNames(platform: Platform): string[] {
  return [`${platform.binary}-static`, platform.binary];
}

function searchDirsOf(search: InterpreterSearch): readonly string[] {
  if (search.interpreterDir !== undefined) return [resolve(search.interpreterDir)];
  // This $PATH says nothing about an image tree's.
  const inImage = search.root !== undefined && resolve(search.root) !== '/';
  return search.searchDirs ?? (inImage ? USUAL_DIRS : defaultSearchDirs());
}

/** The names in each directory, read once: one readdir per directory instead of a stat per candidate. */
export class DirectoryIndex {
  private readonly names = new Map<string, ReadonlySet<string>>();

  constructor(private readonly tree = Tree.host()) {}

  has(dir: string, name: string): boolean {
    let names = this.names.get(dir);
    if (!names) this.names.set(dir, (names = new Set(this.tree.readdir(dir))));
    return names.has(name);
  }
}

/** An executable file at a path of the tree (any x bit: root may run it). */
export function isExecutableIn(tree: Tree, path: string): boolean {
  if (tree.isHost) return isExecutableFile(path);
  const st = tree.stat(path);
  return st?.isFile() === true && (st.mode & 0o111) !== 0;
}

/** The interpreter to register: qemu-<binary>-static first, then qemu-<binary>, in search order. */
export function findInterpreter(
  platform: Platform,
  search: InterpreterSearch,
  index = new DirectoryIndex(),
  tree = Tree.host(),
): string | undefined {
  if (search.interpreter !== undefined) {
    const path = resolve(search.interpreter);
    return isExecutableIn(tree, path) ? path : undefined;
  }
  for (const name of candidateNames(platform)) {
    for (const dir of searchDirsOf(search)) {
      if (!index.has(dir, name)) continue;
      const path = join(dir, name);
      if (isExecutableIn(tree, path)) return path;
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
  return `install QEMU user-mode emulators: ${INSTALL_STATIC_EMULATORS.replace('<arch>', arch)}; or name one with --interpreter PATH or --interpreter-dir DIR`;
}

export interface InterpreterInfo {
  path: string;
  /** ELF without PT_INTERP: safe with F in any chroot or container. */
  isStatic: boolean;
  /** Understands the P flag: a -binfmt-P wrapper, or QEMU >= 6. */
  supportsPreserveArgv0: boolean;
  /** The QEMU version it carries (null: none); undefined when not read (a file of an image tree, P not asked). */
  version?: string | null;
  /** A static ELF of type ET_EXEC: built without PIE. */
  staticNonPie: boolean;
}

/**
 * Reads the interpreter's ELF headers, and (when askP, and no -binfmt-P wrapper tells) the QEMU
 * version it carries: read from the file, which is never run; remembered in the cache for a file
 * of the host. The file is opened once, through the tree.
 */
export function inspectInterpreter(path: string, askP = true, tree = Tree.host(), cache = new VersionCache()): InterpreterInfo {
  const cannot = (err: unknown) =>
    new QemuBinfmtError(
      'INTERPRETER_NOT_FOUND',
      `cannot read the interpreter ${tree.show(path)}: ${err instanceof Error ? err.message : String(err)}`,
      {
        path: tree.show(path),
        cause: err,
        hint: 'the interpreter must be a readable executable file',
      },
    );
  let held;
  try {
    held = tree.openFile(path);
  } catch (err) {
    throw cannot(err);
  }
  if (!held) throw cannot(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
  let fd: number | undefined;
  try {
    fd = openSync(held.path, 'r');
    const elf = readElfInfo(fd);
    // The host's emulators' versions are remembered, so the known problems of each are told cheaply.
    const version = tree.isHost ? knownQemuVersion(path, cache, fd) : askP ? (readQemuVersion(fd) ?? null) : undefined;
    const supportsPreserveArgv0 = askP && supportsP(path, tree, version);
    return {
      path,
      isStatic: elf.isStatic,
      supportsPreserveArgv0,
      staticNonPie: elf.isStatic && elf.header?.type === ET_EXEC,
      ...(version !== undefined ? { version } : {}),
    };
  } catch (err) {
    throw cannot(err);
  } finally {
    if (fd !== undefined) closeSync(fd);
    held.close();
  }
}

function supportsP(path: string, tree: Tree, version: string | null | undefined): boolean {
  if (basename(path).endsWith('-binfmt-P')) return true;
  // Debian ships <arch>-binfmt-P as a link to the same emulator when that emulator handles P.
  const wrapper = join(
    BINFMT_P_DIR,
    `${basename(path)
      .replace(/^qemu-/, '')
      .replace(/-static$/, '')}-binfmt-P`,
  );
  const real = tree.realpath(path);
  if (real !== undefined && tree.realpath(wrapper) === real) return true;
  const major = majorOf(version);
  return major !== undefined && major >= 6;
}

/** How an emulator of the host was built (its version, PIE or not), for its known problems; undefined when it cannot be read. */
export function emulatorBuild(path: string, cache = new VersionCache()): EmulatorBuild | undefined {
  try {
    return inspectInterpreter(path, false, Tree.host(), cache);
  } catch {
    return undefined;
  }
}

/** The QEMU version an emulator of the host carries (read from the file once, then remembered); null when it carries none. */
function knownQemuVersion(file: string, cache: VersionCache, fd?: number): string | null {
  let version = cache.get(file);
  if (version === undefined) {
    try {
      version = readQemuVersion(fd ?? file) ?? null;
    } catch {
      return null;
    }
    cache.set(file, version);
  }
  return version;
}

/** The major number of a version ("7.2.22 (Debian ...)": 7). */
export function majorOf(version: string | null | undefined): number | undefined {
  const major = /^(\d+)\./.exec(version ?? '')?.[1];
  return major === undefined ? undefined : Number(major);
}
