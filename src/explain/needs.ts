import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readDynamicInfo, type DynamicInfo } from '../elf/dynamic.js';
import { findLibrary, librarySearchPath } from '../elf/loader.js';
import { ldSoConfDirs } from '../sandbox/closure.js';

/** What a dynamically linked program needs from the root it runs in, and what is missing there. */
export interface Needs {
  /** PT_INTERP, as the program names it; undefined for a static program. */
  loader: string | undefined;
  loaderPresent: boolean;
  /** DT_NEEDED libraries (recursively) that the loader would not find, with who needs them. */
  missing: Array<{ library: string; neededBy: string }>;
}

/** Debian's multiarch directories (/lib/aarch64-linux-gnu, ...), which glibc's loader searches built in. */
function multiarchDirs(root: string): string[] {
  return ['/lib', '/usr/lib'].flatMap((dir) => {
    try {
      return readdirSync(join(root, dir))
        .filter((n) => /-linux-gnu/.test(n))
        .map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  });
}

/**
 * Resolves the loader and libraries of a program as its loader would inside root: DT_RPATH or
 * DT_RUNPATH, the root's ld.so.conf, the default directories, each of the program's class and
 * machine. Paths are seen from inside root; $ORIGIN is where the program lies.
 */
export function programNeeds(program: string, root = '/'): Needs {
  const top = readDynamicInfo(program);
  if (!top?.interp) return { loader: undefined, loaderPresent: true, missing: [] };
  const needs: Needs = { loader: top.interp, loaderPresent: existsSync(join(root, top.interp)), missing: [] };
  const ldDirs = [...ldSoConfDirs(join(root, 'etc/ld.so.conf'), new Set(), root), ...multiarchDirs(root)];
  const queue: Array<[string, DynamicInfo, string]> = [[program, top, dirname(program)]];
  // The loader is loaded already, and satisfies a DT_NEEDED of its own soname.
  const done = new Set<string>([basename(top.interp)]);
  while (queue.length) {
    const [path, info, origin] = queue.shift()!;
    const search = librarySearchPath(info, origin, ldDirs, top.header.class);
    for (const name of info.needed) {
      if (done.has(name)) continue;
      done.add(name);
      const inside = findLibrary(name, search, top.header, root);
      if (!inside || !existsSync(join(root, inside))) {
        needs.missing.push({ library: name, neededBy: path });
        continue;
      }
      const sub = readDynamicInfo(join(root, inside));
      if (sub) queue.push([inside, sub, dirname(inside)]);
    }
  }
  return needs;
}
