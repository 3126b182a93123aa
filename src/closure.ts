import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseElfHeader, readElfInfo, type ElfHeader } from './elf.js';

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, RUNPATH: 29 } as const;
/** Bounds for what is read of a dynamic segment and a string table (real ones are a few KiB). */
const MAX_DYNAMIC = 64 * 1024;
const MAX_STRTAB = 1024 * 1024;

interface DynamicInfo {
  header: ElfHeader;
  interp?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

/**
 * Reads PT_INTERP and the dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH) of an ELF file:
 * the header, the program headers, the dynamic segment and the string table, nothing else.
 */
export function readDynamicInfo(path: string): DynamicInfo | undefined {
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Uint8Array => {
      const buffer = new Uint8Array(length);
      return buffer.subarray(0, readSync(fd, buffer, 0, length, offset));
    };
    const header = parseElfHeader(read(0, 64));
    if (!header) return undefined;
    const le = header.endianness === 'little';
    const is64 = header.class === 64;
    const reader = (bytes: Uint8Array) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        u32: (at: number) => view.getUint32(at, le),
        word: (at: number) => (is64 ? Number(view.getBigUint64(at, le)) : view.getUint32(at, le)),
      };
    };
    const table = read(header.phoff, header.phnum * header.phentsize);
    const ph = reader(table);
    const phdrs = Array.from({ length: Math.floor(table.length / header.phentsize) }, (_, i) => {
      const at = i * header.phentsize;
      return is64
        ? { type: ph.u32(at), offset: ph.word(at + 8), vaddr: ph.word(at + 16), filesz: ph.word(at + 32) }
        : { type: ph.u32(at), offset: ph.word(at + 4), vaddr: ph.word(at + 8), filesz: ph.word(at + 16) };
    });
    const cString = (bytes: Uint8Array, at: number) => {
      const end = bytes.indexOf(0, at);
      return Buffer.from(bytes.subarray(at, end < 0 ? bytes.length : end)).toString('utf8');
    };
    const info: DynamicInfo = { header, needed: [], rpath: [], runpath: [] };
    const interp = phdrs.find((p) => p.type === PT_INTERP);
    if (interp) info.interp = cString(read(interp.offset, Math.min(interp.filesz, 4096)), 0);
    const dynamic = phdrs.find((p) => p.type === PT_DYNAMIC);
    if (!dynamic) return info;
    const entrySize = is64 ? 16 : 8;
    const segment = read(dynamic.offset, Math.min(dynamic.filesz, MAX_DYNAMIC));
    const dyn = reader(segment);
    const entries: Array<[number, number]> = [];
    for (let at = 0; at + entrySize <= segment.length; at += entrySize) {
      const tag = dyn.word(at);
      if (tag === DT.NULL) break;
      entries.push([tag, dyn.word(at + entrySize / 2)]);
    }
    const value = (tag: number) => entries.find(([t]) => t === tag)?.[1];
    const strtabVaddr = value(DT.STRTAB);
    const load = phdrs.find((p) => p.type === PT_LOAD && strtabVaddr !== undefined && strtabVaddr >= p.vaddr && strtabVaddr < p.vaddr + p.filesz);
    if (strtabVaddr === undefined || !load) return info;
    const strtab = read(load.offset + (strtabVaddr - load.vaddr), Math.min(value(DT.STRSZ) ?? MAX_STRTAB, MAX_STRTAB));
    for (const [tag, offset] of entries) {
      if (tag === DT.NEEDED) info.needed.push(cString(strtab, offset));
      if (tag === DT.RPATH) info.rpath.push(...cString(strtab, offset).split(':'));
      if (tag === DT.RUNPATH) info.runpath.push(...cString(strtab, offset).split(':'));
    }
    return info;
  } finally {
    closeSync(fd);
  }
}

/** The directories /etc/ld.so.conf names (with its include lines), in order. */
export function ldSoConfDirs(file = '/etc/ld.so.conf', seen = new Set<string>()): string[] {
  if (seen.has(file) || !existsSync(file)) return [];
  seen.add(file);
  const dirs: string[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
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
    const files = existsSync(dir) ? readdirSync(dir).filter((n) => re.test(n)).sort() : [];
    for (const f of files) dirs.push(...ldSoConfDirs(join(dir, f), seen));
  }
  return dirs;
}

function basenameGlob(pattern: string): string {
  const base = pattern.slice(pattern.lastIndexOf('/') + 1);
  return base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
}

const DEFAULT_DIRS = { 32: ['/lib', '/usr/lib'], 64: ['/lib64', '/usr/lib64', '/lib', '/usr/lib'] };

/**
 * Every file a dynamically linked program needs, as the loader would find them: the program,
 * its PT_INTERP, and its DT_NEEDED libraries, recursively (DT_RPATH unless DT_RUNPATH, then
 * DT_RUNPATH, /etc/ld.so.conf, the default directories), each of the same class and machine.
 * A static program's closure is itself.
 */
export function runtimeClosure(program: string, ldDirs: readonly string[] = ldSoConfDirs()): string[] {
  const closure: string[] = [program];
  const top = readDynamicInfo(program);
  if (!top?.interp) return closure;
  closure.push(top.interp);
  const queue: Array<[string, DynamicInfo]> = [[program, top]];
  // The loader is loaded already, and satisfies a DT_NEEDED of its own soname.
  const done = new Set<string>([basename(top.interp)]);
  while (queue.length) {
    const [path, info] = queue.shift()!;
    // $ORIGIN is the directory of the real file (the loader takes the program's from /proc/self/exe).
    const origin = dirname(realpathSync(path));
    const search = [...(info.runpath.length ? [] : info.rpath), ...info.runpath]
      .map((d) => d.replace(/\$\{?ORIGIN\}?/g, origin))
      .concat(ldDirs, DEFAULT_DIRS[top.header.class]);
    for (const name of info.needed) {
      if (done.has(name)) continue;
      const found = name.includes('/') ? name : search.map((d) => join(d, name)).find((c) => sameKind(c, top.header));
      if (!found) throw new Error(`${path} needs ${name}, which is not found where the loader looks`);
      done.add(name);
      if (!closure.includes(found)) closure.push(found);
      const sub = readDynamicInfo(found);
      if (sub) queue.push([found, sub]);
    }
  }
  return closure;
}

function sameKind(path: string, like: ElfHeader): boolean {
  try {
    const h = readElfInfo(path).header;
    return h !== undefined && h.class === like.class && h.machine === like.machine;
  } catch {
    return false;
  }
}
