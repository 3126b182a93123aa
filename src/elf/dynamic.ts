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
    const header = parseElfHeader(file.read(0, LAYOUT[64].ehsize));
    if (!header) return undefined;
    const info: DynamicInfo = { header, needed: [], rpath: [], runpath: [] };
    // Program headers shorter than the class's own are not ELF as a loader reads it.
    if (header.phentsize < LAYOUT[header.class].phentsize) return info;
    const phdrs = programHeaders(file, header);
    const interp = phdrs.find((p) => p.type === PT_INTERP);
    if (interp) info.interp = cString(file.read(interp.offset, Math.min(interp.filesz, 4096)), 0);
    const dynamic = phdrs.find((p) => p.type === PT_DYNAMIC);
    if (!dynamic) return info;
    const entries = dynamicEntries(file, header, dynamic);
    const string = stringsOf(file, phdrs, entries);
    if (!string) return info;
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

interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** 32-bit words and the class's address-sized words of bytes, in the file's byte order. */
function wordsOf(bytes: Uint8Array, header: ElfHeader) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = header.endianness === 'little';
  return {
    u32: (at: number) => view.getUint32(at, le),
    word: (at: number) => (header.class === 64 ? Number(view.getBigUint64(at, le)) : view.getUint32(at, le)),
  };
}

const cString = (bytes: Uint8Array, at: number) => {
  const end = bytes.indexOf(0, at);
  return Buffer.from(bytes.subarray(at, end < 0 ? bytes.length : end)).toString('utf8');
};

function programHeaders(file: BoundedFile, header: ElfHeader): ProgramHeader[] {
  const table = file.read(header.phoff, header.phnum * header.phentsize);
  const ph = wordsOf(table, header);
  const field = PHDR[header.class];
  return Array.from({ length: Math.floor(table.length / header.phentsize) }, (_, i) => {
    const at = i * header.phentsize;
    return {
      type: ph.u32(at + field.type),
      offset: ph.word(at + field.offset),
      vaddr: ph.word(at + field.vaddr),
      filesz: ph.word(at + field.filesz),
    };
  });
}

/** The dynamic section's tags and values, up to DT_NULL. */
function dynamicEntries(file: BoundedFile, header: ElfHeader, dynamic: ProgramHeader): Array<[number, number]> {
  const entrySize = header.class === 64 ? 16 : 8;
  const segment = file.read(dynamic.offset, Math.min(dynamic.filesz, MAX_DYNAMIC));
  const dyn = wordsOf(segment, header);
  const entries: Array<[number, number]> = [];
  for (let at = 0; at + entrySize <= segment.length; at += entrySize) {
    const tag = dyn.word(at);
    if (tag === DT.NULL) break;
    entries.push([tag, dyn.word(at + entrySize / 2)]);
  }
  return entries;
}

/** Reads a string of the dynamic string table by its offset; undefined when the table is not in a loaded segment. */
function stringsOf(
  file: BoundedFile,
  phdrs: readonly ProgramHeader[],
  entries: ReadonlyArray<[number, number]>,
): ((offset: number) => string) | undefined {
  const value = (tag: number) => entries.find(([t]) => t === tag)?.[1];
  const strtabVaddr = value(DT.STRTAB);
  if (strtabVaddr === undefined) return undefined;
  const load = phdrs.find((p) => p.type === PT_LOAD && strtabVaddr >= p.vaddr && strtabVaddr < p.vaddr + p.filesz);
  if (!load) return undefined;
  const strtab = load.offset + (strtabVaddr - load.vaddr);
  const size = value(DT.STRSZ);
  // Each string is read where it stands, up to its NUL: a string table can be megabytes.
  return (offset) =>
    size !== undefined && offset >= size
      ? ''
      : cString(file.read(strtab + offset, size === undefined ? MAX_STRING : Math.min(MAX_STRING, size - offset)), 0);
}
