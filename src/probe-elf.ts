import probes from '../platforms/probes.json' with { type: 'json' };
import { hexToBytes } from './hex.js';
import type { Platform } from './platforms.js';

/** One record of platforms/probes.json: a tiny static program that writes the message and exits 0. */
export interface ProbeRecord {
  /** Instructions then the message, as linked at base + ELF header size. */
  text: string;
  /** Entry point, as an offset into text. */
  entry: number;
  /** e_flags for the ELF header (the mips n32 probe carries EF_MIPS_ABI2, for example). */
  flags: number;
  /** What the instructions do, in words. */
  does: string;
  /** How the bytes were obtained. */
  source: string;
}

interface ProbeTable {
  base: number;
  message: string;
  probes: Record<string, ProbeRecord | { missing: string }>;
}

export const PROBES = probes as ProbeTable;

const ELF_SIZES = { 32: { ehdr: 52, phdr: 32 }, 64: { ehdr: 64, phdr: 56 } };

/** Where a probe's text starts in memory: the base plus the ELF and program headers before it. */
export function textAddress(cls: 32 | 64): number {
  return PROBES.base + ELF_SIZES[cls].ehdr + ELF_SIZES[cls].phdr;
}

export function probeRecord(platform: Platform): ProbeRecord | undefined {
  const record = PROBES.probes[platform.name];
  return record && 'text' in record ? record : undefined;
}

/** The smallest executable ELF for a platform: header, one PT_LOAD program header, the text. */
export function probeElf(platform: Platform, probe: ProbeRecord): Uint8Array {
  const { ehdr, phdr } = ELF_SIZES[platform.class];
  const text = hexToBytes(probe.text);
  const file = new Uint8Array(ehdr + phdr + text.length);
  const view = new DataView(file.buffer);
  const le = platform.endianness === 'little';
  const is64 = platform.class === 64;
  const word = (at: number, value: number) => (is64 ? view.setBigUint64(at, BigInt(value), le) : view.setUint32(at, value, le));
  file.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
  view.setUint16(16, 2, le); // ET_EXEC
  view.setUint16(18, platform.machine, le);
  view.setUint32(20, 1, le); // EV_CURRENT
  const at = is64 ? { entry: 24, phoff: 32, flags: 48, sizes: 52 } : { entry: 24, phoff: 28, flags: 36, sizes: 40 };
  word(at.entry, textAddress(platform.class) + probe.entry);
  word(at.phoff, ehdr);
  view.setUint32(at.flags, probe.flags, le);
  view.setUint16(at.sizes, ehdr, le); // e_ehsize
  view.setUint16(at.sizes + 2, phdr, le); // e_phentsize
  view.setUint16(at.sizes + 4, 1, le); // e_phnum
  // PT_LOAD of the whole file, readable and executable.
  const p = ehdr;
  view.setUint32(p, 1, le);
  if (is64) {
    view.setUint32(p + 4, 5, le);
    word(p + 8, 0);
    word(p + 16, PROBES.base);
    word(p + 24, PROBES.base);
    word(p + 32, file.length);
    word(p + 40, file.length);
    word(p + 48, 0x10000);
  } else {
    word(p + 4, 0);
    word(p + 8, PROBES.base);
    word(p + 12, PROBES.base);
    word(p + 16, file.length);
    word(p + 20, file.length);
    view.setUint32(p + 24, 5, le);
    word(p + 28, 0x10000);
  }
  file.set(text, ehdr + phdr);
  return file;
}
