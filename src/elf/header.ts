import { BoundedFile } from './bounded-file.js';
import { RULE_WINDOW, E_MACHINE, E_TYPE, EI, ELF_MAGIC, ELFCLASS, ELFDATA, LAYOUT, PHDR, PT_INTERP, PT_LOAD } from './layout.js';

export interface ElfHeader {
  class: 32 | 64;
  endianness: 'little' | 'big';
  osabi: number;
  type: number;
  machine: number;
  flags: number;
  phoff: number;
  phentsize: number;
  phnum: number;
}

/** Decodes an ELF header with its own EI_CLASS and EI_DATA; undefined if it is not one. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (bytes.length < LAYOUT[32].ehsize || ELF_MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const cls = bytes[EI.CLASS] === ELFCLASS[32] ? 32 : bytes[EI.CLASS] === ELFCLASS[64] ? 64 : undefined;
  const endianness = bytes[EI.DATA] === ELFDATA.little ? 'little' : bytes[EI.DATA] === ELFDATA.big ? 'big' : undefined;
  if (!cls || !endianness || bytes.length < LAYOUT[cls].ehsize) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endianness === 'little';
  const at = LAYOUT[cls];
  return {
    class: cls,
    endianness,
    osabi: bytes[EI.OSABI]!,
    type: view.getUint16(E_TYPE, le),
    machine: view.getUint16(E_MACHINE, le),
    flags: view.getUint32(at.flags, le),
    phoff: cls === 64 ? Number(view.getBigUint64(at.phoff, le)) : view.getUint32(at.phoff, le),
    phentsize: view.getUint16(at.phentsizeField, le),
    phnum: view.getUint16(at.phnumField, le),
  };
}

export interface ElfFileInfo {
  header: ElfHeader | undefined;
  /** The first bytes of the file (up to 128, what binfmt_misc can look at). */
  head: Uint8Array;
  /** True for an ELF executable with no PT_INTERP: it needs no loader or libraries. */
  isStatic: boolean;
  /**
   * The largest page size its PT_LOAD segments can be mapped with (each segment's address and
   * file offset must agree modulo the page size); undefined without segments or when any will do.
   */
  maxPageSize?: number;
}

/** Reads the header and program headers of a file (a path, or a descriptor left open), nothing more. */
export function readElfInfo(file: string | number): ElfFileInfo {
  const bounded = BoundedFile.open(file);
  try {
    const head = bounded.read(0, RULE_WINDOW);
    const header = parseElfHeader(head);
    // No program headers to read (or nonsense sizes): not a usable static executable.
    if (!header || header.phnum === 0 || header.phentsize < 4) return { header, head, isStatic: false };
    const table = bounded.read(header.phoff, header.phentsize * header.phnum);
    if (table.length !== header.phentsize * header.phnum) return { header, head, isStatic: false };
    const view = new DataView(table.buffer);
    const le = header.endianness === 'little';
    const at = PHDR[header.class];
    const word = (offset: number) => (header.class === 64 ? view.getBigUint64(offset, le) : BigInt(view.getUint32(offset, le)));
    let interp = false;
    let skew = 0n;
    for (let i = 0; i < header.phnum; i++) {
      const base = i * header.phentsize;
      const type = view.getUint32(base + at.type, le);
      if (type === PT_INTERP) interp = true;
      // A program header too short to hold the addresses tells no page size.
      if (type === PT_LOAD && header.phentsize >= at.vaddr + header.class / 8) skew |= word(base + at.vaddr) - word(base + at.offset);
    }
    const lowest = skew & -skew;
    return { header, head, isStatic: !interp, ...(lowest > 0n && lowest <= 1n << 30n ? { maxPageSize: Number(lowest) } : {}) };
  } finally {
    bounded.close();
  }
}

/** readElfInfo for a file that may be missing, unreadable or too short: undefined then. */
export function tryReadElfInfo(path: string): ElfFileInfo | undefined {
  try {
    return readElfInfo(path);
  } catch {
    return undefined;
  }
}
