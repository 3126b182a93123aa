import { realpathSync } from 'node:fs';
import { Tree } from '../fs/tree.js';
import { basename, dirname, join } from 'node:path';
import { readDynamicInfo, type DynamicInfo } from './dynamic.js';
import { findLibrary, librarySearchPath } from './loader.js';
import { errnoOf, QemuBinfmtError } from '../errors.js';

/** More include files than any real ld.so.conf has: past this, the rest is not read. */
const MAX_CONF_FILES = 256;

/**
 * The directories an ld.so.conf of the root names (with its include lines), in order; paths are
 * the root's. Each file is read once, by where it really is (a link that leads back, or a
 * directory that includes itself, adds nothing), and at most MAX_CONF_FILES of them.
 */
export function ldSoConfDirs(tree = Tree.host(), file = '/etc/ld.so.conf', seen = new Set<string>()): string[] {
  const real = tree.realpath(file);
  if (real === undefined || seen.has(real) || seen.size >= MAX_CONF_FILES) return [];
  seen.add(real);
  let text: string | undefined;
  try {
    text = tree.readFile(real)?.toString('utf8');
  } catch {
    // not a regular file: not a configuration
  }
  const dirs: string[] = [];
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    const pattern = include[1]!.startsWith('/') ? include[1]! : join(dirname(file), include[1]!);
    const dir = dirname(pattern);
    const re = new RegExp(`^${basenameGlob(pattern)}$`);
    const files = tree
      .readdir(dir)
      .filter((n) => re.test(n))
      .sort();
    for (const f of files) dirs.push(...ldSoConfDirs(tree, join(dir, f), seen));
  }
  return dirs;
}

function basenameGlob(pattern: string): string {
  const base = pattern.slice(pattern.lastIndexOf('/') + 1);
  return base
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
}

/**
 * Every file a dynamically linked program needs, as the loader would find them: the program,
 * its PT_INTERP, and its DT_NEEDED libraries, recursively (DT_RPATH unless DT_RUNPATH, then
 * DT_RUNPATH, /etc/ld.so.conf, the default directories), each of the same class and machine.
 * A static program's closure is itself.
 */
export function runtimeClosure(program: string, ldDirs: readonly string[] = ldSoConfDirs()): string[] {
  const closure: string[] = [program];
  const top = readOrFail(program);
  if (!top?.interp) return closure;
  closure.push(top.interp);
  const queue: Array<[string, DynamicInfo]> = [[program, top]];
  // The loader is loaded already, and satisfies a DT_NEEDED of its own soname.
  const done = new Set<string>([basename(top.interp)]);
  while (queue.length) {
    const [path, info] = queue.shift()!;
    // $ORIGIN is the directory of the real file (the loader takes the program's from /proc/self/exe).
    const origin = dirname(realpathSync(path));
    const search = librarySearchPath(info, origin, ldDirs, top.header.class);
    for (const name of info.needed) {
      if (!name)
        throw new QemuBinfmtError('LIBRARY_NOT_FOUND', `${path} names a library that cannot be read (an empty DT_NEEDED)`, { path });
      if (done.has(name)) continue;
      const found = findLibrary(name, search, top.header);
      if (!found) {
        throw new QemuBinfmtError('LIBRARY_NOT_FOUND', `${path} needs ${name}, which is not found where the loader looks`, {
          path,
          hint: 'install the library, or register a statically linked interpreter (qemu-user-static)',
        });
      }
      done.add(name);
      if (!closure.includes(found)) closure.push(found);
      const sub = readOrFail(found);
      if (sub) queue.push([found, sub]);
    }
  }
  return closure;
}

/** The dynamic info of a file of the closure; one that cannot be read is a named error. */
function readOrFail(path: string): DynamicInfo | undefined {
  try {
    return readDynamicInfo(path);
  } catch (err) {
    throw new QemuBinfmtError(errnoOf(err) === 'ENOENT' ? 'INTERPRETER_NOT_FOUND' : 'IO', `cannot read ${path}`, {
      path,
      cause: err,
      hint: 'the registered interpreter (or a library it needs) is missing or unreadable here; install it, or register it again',
    });
  }
}
