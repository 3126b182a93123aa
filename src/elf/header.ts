import { closeSync, openSync, readSync } from 'node:fs';
import { RULE_WINDOW, E_MACHINE, E_TYPE, EI, ELF_MAGIC, ELFCLASS, ELFDATA, LAYOUT, PHDR, PT_INTERP } from './layout.js';

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
}

/** Reads the header and program headers of a file, nothing more. */
export function readElfInfo(path: string): ElfFileInfo {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(RULE_WINDOW);
    const head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
    const header = parseElfHeader(head);
    // No program headers to read (or nonsense sizes): not a usable static executable.
    if (!header || header.phnum === 0 || header.phentsize < 4) return { header, head, isStatic: false };
    const table = new Uint8Array(header.phentsize * header.phnum);
    if (readSync(fd, table, 0, table.length, header.phoff) !== table.length) return { header, head, isStatic: false };
    const view = new DataView(table.buffer);
    let interp = false;
    for (let i = 0; i < header.phnum; i++) {
      if (view.getUint32(i * header.phentsize + PHDR[header.class].type, header.endianness === 'little') === PT_INTERP) interp = true;
    }
    return { header, head, isStatic: !interp };
  } finally {
    closeSync(fd);
  }
}
