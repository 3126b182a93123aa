import { basename, dirname } from 'node:path';
import { Tree } from '../fs/tree.js';
import { readDynamicInfo, type DynamicInfo } from '../elf/dynamic.js';
import { findLibrary, librarySearchPath } from '../elf/loader.js';
import { ldSoConfDirs } from '../elf/closure.js';

/** What a dynamically linked program needs from the root it runs in, and what is missing there. */
export interface Needs {
  /** PT_INTERP, as the program names it; undefined for a static program. */
  loader: string | undefined;
  loaderPresent: boolean;
  /** DT_NEEDED libraries (recursively) that the loader would not find, with who needs them. */
  missing: Array<{ library: string; neededBy: string }>;
}

/** Debian's multiarch directories (/lib/aarch64-linux-gnu, ...), which glibc's loader searches built in. */
function multiarchDirs(tree: Tree): string[] {
  return ['/lib', '/usr/lib'].flatMap((dir) =>
    tree
      .readdir(dir)
      .filter((n) => /-linux-gnu/.test(n))
      .map((n) => `${dir}/${n}`),
  );
}

/** The dynamic info of a file of the root, read through it; undefined when it is not there or not ELF. */
function dynamicInfoIn(tree: Tree, path: string): DynamicInfo | undefined {
  try {
    const held = tree.openFile(path);
    if (!held) return undefined;
    try {
      return readDynamicInfo(held.path);
    } finally {
      held.close();
    }
  } catch {
    return undefined;
  }
}

/** More libraries than a real program needs: past this, no more are looked up. */
const MAX_LIBRARIES = 1024;

/**
 * Resolves the loader and libraries of a program as its loader would inside root: DT_RPATH or
 * DT_RUNPATH, the root's ld.so.conf, the default directories, each of the program's class and
 * machine. Paths are seen from inside root; $ORIGIN is where the program lies.
 */
export function programNeeds(program: string, tree = Tree.host()): Needs {
  const top = readDynamicInfo(program);
  if (!top?.interp) return { loader: undefined, loaderPresent: true, missing: [] };
  const needs: Needs = { loader: top.interp, loaderPresent: tree.exists(top.interp), missing: [] };
  const ldDirs = [...ldSoConfDirs(tree), ...multiarchDirs(tree)];
  const queue: Array<[string, DynamicInfo, string]> = [[program, top, dirname(program)]];
  // The loader is loaded already, and satisfies a DT_NEEDED of its own soname.
  const done = new Set<string>([basename(top.interp)]);
  while (queue.length) {
    const [path, info, origin] = queue.shift()!;
    const search = librarySearchPath(info, origin, ldDirs, top.header.class);
    for (const name of info.needed) {
      if (done.has(name) || done.size >= MAX_LIBRARIES) continue;
      done.add(name);
      const inside = findLibrary(name, search, top.header, tree);
      if (!inside || !tree.exists(inside)) {
        needs.missing.push({ library: name, neededBy: path });
        continue;
      }
      const sub = dynamicInfoIn(tree, inside);
      if (sub) queue.push([inside, sub, dirname(inside)]);
    }
  }
  return needs;
}
