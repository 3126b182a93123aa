import { BoundedFile } from './bounded-file.js';
import { parseElfHeader, type ElfHeader } from './header.js';
import { DT, LAYOUT, PHDR, PT_DYNAMIC, PT_INTERP, PT_LOAD } from './layout.js';

export interface DynamicInfo {
  header: ElfHeader;
  interp?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

/** Bounds for what is read: a dynamic segment (real ones are a few KiB), one string. */
const MAX_DYNAMIC = 64 * 1024;
const MAX_STRING = 4096;

/**
 * Reads PT_INTERP and the dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH) of an ELF file:
 * the header, the program headers, the dynamic segment and the string table, nothing else.
 */
export function readDynamicInfo(path: string): DynamicInfo | undefined {
  const file = BoundedFile.open(path);
  try {
    const read = (offset: number, length: number) => file.read(offset, length);
    const header = parseElfHeader(read(0, LAYOUT[64].ehsize));
    if (!header) return undefined;
    // Program headers shorter than the class's own are not ELF as a loader reads it.
    if (header.phentsize < LAYOUT[header.class].phentsize) return { header, needed: [], rpath: [], runpath: [] };
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
    const field = PHDR[header.class];
    const phdrs = Array.from({ length: Math.floor(table.length / header.phentsize) }, (_, i) => {
      const at = i * header.phentsize;
      return {
        type: ph.u32(at + field.type),
        offset: ph.word(at + field.offset),
        vaddr: ph.word(at + field.vaddr),
        filesz: ph.word(at + field.filesz),
      };
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
    const load = phdrs.find(
      (p) => p.type === PT_LOAD && strtabVaddr !== undefined && strtabVaddr >= p.vaddr && strtabVaddr < p.vaddr + p.filesz,
    );
    if (strtabVaddr === undefined || !load) return info;
    const strtab = load.offset + (strtabVaddr - load.vaddr);
    const size = value(DT.STRSZ);
    // Each string is read where it stands, up to its NUL: a string table can be megabytes.
    const string = (offset: number) =>
      size !== undefined && offset >= size
        ? ''
        : cString(read(strtab + offset, size === undefined ? MAX_STRING : Math.min(MAX_STRING, size - offset)), 0);
    for (const [tag, offset] of entries) {
      if (tag === DT.NEEDED) info.needed.push(string(offset));
      if (tag === DT.RPATH) info.rpath.push(...string(offset).split(':'));
      if (tag === DT.RUNPATH) info.runpath.push(...string(offset).split(':'));
    }
    return info;
  } finally {
    file.close();
  }
}
