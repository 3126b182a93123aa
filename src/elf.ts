import { closeSync, openSync, readSync } from 'node:fs';

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

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const EF_MIPS_ABI2 = 0x20;
const PT_INTERP = 3;

/** Decodes an ELF header with its own EI_CLASS and EI_DATA; undefined if it is not one. */
export function parseElfHeader(bytes: Uint8Array): ElfHeader | undefined {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return undefined;
  }
  const cls = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : undefined;
  const endianness = bytes[5] === 1 ? 'little' : bytes[5] === 2 ? 'big' : undefined;
  if (!cls || !endianness || (cls === 64 && bytes.length < 64)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endianness === 'little';
  const u16 = (at: number) => view.getUint16(at, le);
  const u32 = (at: number) => view.getUint32(at, le);
  const word = (at: number) => (cls === 64 ? Number(view.getBigUint64(at, le)) : u32(at));
  const at = cls === 64 ? { phoff: 32, flags: 48, phentsize: 54 } : { phoff: 28, flags: 36, phentsize: 42 };
  return {
    class: cls,
    endianness,
    osabi: bytes[7]!,
    type: u16(16),
    machine: u16(18),
    flags: u32(at.flags),
    phoff: word(at.phoff),
    phentsize: u16(at.phentsize),
    phnum: u16(at.phentsize + 2),
  };
}

export interface ElfFileInfo {
  header: ElfHeader | undefined;
  /** The first bytes of the file (up to 128, what binfmt_misc can look at). */
  head: Uint8Array;
  /** True for an ELF executable with no PT_INTERP: it needs no loader or libraries. */
  isStatic: boolean;
}

/** Reads the header and program headers of a file. */
export function readElfInfo(path: string): ElfFileInfo {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(128);
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
    const header = parseElfHeader(head);
    // No program headers to read (or nonsense sizes): not a usable static executable.
    if (!header || header.phnum === 0 || header.phentsize < 4) return { header, head, isStatic: false };
    const table = new Uint8Array(header.phentsize * header.phnum);
    if (readSync(fd, table, 0, table.length, header.phoff) !== table.length) return { header, head, isStatic: false };
    const view = new DataView(table.buffer);
    let interp = false;
    for (let i = 0; i < header.phnum; i++) {
      if (view.getUint32(i * header.phentsize, header.endianness === 'little') === PT_INTERP) interp = true;
    }
    return { header, head, isStatic: !interp };
  } finally {
    closeSync(fd);
  }
}
