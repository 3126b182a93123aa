import { BoundedFile } from './bounded-file.js';
import { parseElfHeader } from './header.js';
import { LAYOUT, PF_W, PF_X, PHDR, PT_LOAD, SHDR, SHDR_FIELDS } from './layout.js';

/**
 * The version a QEMU user-mode emulator carries, read from the file and never by running it
 * (a file in a tree someone else owns must not run as root): linux-user prints
 * "qemu-TARGET version VERSION" from a string constant, which sits in its read-only data.
 */
const BANNER = /qemu-[a-z0-9_]+ version (\d+\.\d+[^\n\0]*)/;
const CHUNK = 1024 * 1024;
/** A banner is far shorter than this: chunks overlap by it, so that none is cut in two. */
const OVERLAP = 512;
/** The most read to find it: real read-only data is a few MiB; a header that claims more is not believed. */
const MAX_SCAN = 64 * 1024 * 1024;

interface Span {
  offset: number;
  size: number;
}

/** Where the read-only data lies: the .rodata section, else every read-only PT_LOAD segment. */
function readOnlyData(file: BoundedFile): Span[] {
  const header = parseElfHeader(file.read(0, LAYOUT[64].ehsize));
  if (!header) return [];
  const le = header.endianness === 'little';
  const is64 = header.class === 64;
  const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (v: DataView, at: number) => (is64 ? Number(v.getBigUint64(at, le)) : v.getUint32(at, le));
  const ehdr = view(file.read(0, LAYOUT[header.class].ehsize));
  const f = SHDR_FIELDS[header.class];
  const shoff = word(ehdr, f.shoff);
  const shentsize = ehdr.getUint16(f.shentsize, le);
  const shnum = ehdr.getUint16(f.shnum, le);
  const shstrndx = ehdr.getUint16(f.shstrndx, le);
  const s = SHDR[header.class];
  const table = view(file.read(shoff, shentsize * shnum));
  if (shnum && shstrndx < shnum && shentsize >= s.size + (is64 ? 8 : 4) && table.byteLength === shentsize * shnum) {
    const section = (i: number) => ({
      name: table.getUint32(i * shentsize + s.name, le),
      offset: word(table, i * shentsize + s.offset),
      size: word(table, i * shentsize + s.size),
    });
    const strtab = section(shstrndx);
    const names = file.read(strtab.offset, Math.min(strtab.size, 64 * 1024));
    const wanted = Buffer.from('.rodata\0');
    for (let i = 0; i < shnum; i++) {
      const sec = section(i);
      if (Buffer.from(names.subarray(sec.name, sec.name + wanted.length)).equals(wanted)) return [{ offset: sec.offset, size: sec.size }];
    }
  }
  const p = PHDR[header.class];
  if (header.phentsize < LAYOUT[header.class].phentsize) return [];
  const phdrs = view(file.read(header.phoff, header.phentsize * header.phnum));
  const spans: Span[] = [];
  for (let i = 0; (i + 1) * header.phentsize <= phdrs.byteLength; i++) {
    const base = i * header.phentsize;
    const flags = phdrs.getUint32(base + p.flags, le);
    if (phdrs.getUint32(base + p.type, le) === PT_LOAD && (flags & (PF_W | PF_X)) === 0)
      spans.push({ offset: word(phdrs, base + p.offset), size: word(phdrs, base + p.filesz) });
  }
  return spans;
}

/** "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)" for a QEMU emulator (a path, or a descriptor left open); undefined for any other file. */
export function readQemuVersion(file: string | number): string | undefined {
  const bounded = BoundedFile.open(file);
  try {
    let budget = MAX_SCAN;
    for (const span of readOnlyData(bounded)) {
      const end = Math.min(span.offset + span.size, bounded.size);
      for (let at = span.offset; at < end && budget > 0; at += CHUNK) {
        const bytes = bounded.read(at, Math.min(CHUNK + OVERLAP, end - at));
        if (!bytes.length) break;
        budget -= bytes.length;
        const found = BANNER.exec(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
        if (found) return found[1]!.trim();
      }
    }
    return undefined;
  } finally {
    bounded.close();
  }
}
