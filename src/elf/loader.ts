import { join } from 'node:path';
import type { DynamicInfo } from './dynamic.js';
import { readElfInfo, type ElfHeader } from './header.js';
import { Tree } from '../fs/tree.js';

/** More DT_RPATH or DT_RUNPATH directories than a real file has: the rest are not searched. */
const MAX_RUNPATH = 64;

/** Where the loader looks last for a library, by ELF class. */
const LOADER_DEFAULT_DIRS = { 32: ['/lib', '/usr/lib'], 64: ['/lib64', '/usr/lib64', '/lib', '/usr/lib'] } as const;

/** A file of the root that the loader would take for a program of this class and machine (it skips the others). */
function sameKind(tree: Tree, path: string, like: ElfHeader): boolean {
  try {
    const held = tree.openFile(path);
    if (!held) return false;
    try {
      const h = readElfInfo(held.path).header;
      return h !== undefined && h.class === like.class && h.machine === like.machine;
    } finally {
      held.close();
    }
  } catch {
    return false;
  }
}

/**
 * Where the loader looks for the libraries a file needs: its DT_RPATH unless it has a
 * DT_RUNPATH, then DT_RUNPATH ($ORIGIN being the file's directory), then ldDirs, then the
 * default directories of its class.
 */
export function librarySearchPath(info: DynamicInfo, origin: string, ldDirs: readonly string[], cls: 32 | 64): string[] {
  return [...(info.runpath.length ? [] : info.rpath), ...info.runpath]
    .slice(0, MAX_RUNPATH)
    .map((d) => d.replace(/\$\{?ORIGIN\}?/g, origin))
    .concat(ldDirs, LOADER_DEFAULT_DIRS[cls]);
}

/** The path (as seen inside the root) where the loader finds a DT_NEEDED library of this class and machine. */
export function findLibrary(name: string, search: readonly string[], like: ElfHeader, tree = Tree.host()): string | undefined {
  return name.includes('/') ? name : search.map((d) => join(d, name)).find((c) => sameKind(tree, c, like));
}
