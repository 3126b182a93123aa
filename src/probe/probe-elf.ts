import probes from '../../platforms/probes.json' with { type: 'json' };
import { hexToBytes } from '../table/hex.js';
import {
  E_ENTRY,
  E_MACHINE,
  E_TYPE,
  E_VERSION,
  ELF_MAGIC,
  ELFCLASS,
  ELFDATA,
  ET_EXEC,
  EV_CURRENT,
  LAYOUT,
  PF_R,
  PF_X,
  PHDR,
  PT_LOAD,
} from '../elf/layout.js';
import type { Platform } from '../table/platforms.js';

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

/** Where a probe's text starts in memory: the base plus the ELF and program headers before it. */
function textAddress(cls: 32 | 64): number {
  return PROBES.base + LAYOUT[cls].ehsize + LAYOUT[cls].phentsize;
}

export function probeRecord(platform: Platform): ProbeRecord | undefined {
  const record = PROBES.probes[platform.name];
  return record && 'text' in record ? record : undefined;
}

/** The smallest executable ELF for a platform: header, one PT_LOAD program header, the text. */
export function probeElf(platform: Platform, probe: ProbeRecord): Uint8Array {
  const cls = platform.class;
  const { ehsize, phentsize, ...at } = LAYOUT[cls];
  const ph = PHDR[cls];
  const text = hexToBytes(probe.text);
  const file = new Uint8Array(ehsize + phentsize + text.length);
  const view = new DataView(file.buffer);
  const le = platform.endianness === 'little';
  const word = (offset: number, value: number) =>
    cls === 64 ? view.setBigUint64(offset, BigInt(value), le) : view.setUint32(offset, value, le);
  file.set([...ELF_MAGIC, ELFCLASS[cls], ELFDATA[platform.endianness], EV_CURRENT]);
  view.setUint16(E_TYPE, ET_EXEC, le);
  view.setUint16(E_MACHINE, platform.machine, le);
  view.setUint32(E_VERSION, EV_CURRENT, le);
  word(E_ENTRY, textAddress(cls) + probe.entry);
  word(at.phoff, ehsize);
  view.setUint32(at.flags, probe.flags, le);
  view.setUint16(at.ehsizeField, ehsize, le);
  view.setUint16(at.phentsizeField, phentsize, le);
  view.setUint16(at.phnumField, 1, le);
  // PT_LOAD of the whole file, readable and executable.
  view.setUint32(ehsize + ph.type, PT_LOAD, le);
  view.setUint32(ehsize + ph.flags, PF_R | PF_X, le);
  word(ehsize + ph.offset, 0);
  word(ehsize + ph.vaddr, PROBES.base);
  word(ehsize + ph.paddr, PROBES.base);
  word(ehsize + ph.filesz, file.length);
  word(ehsize + ph.memsz, file.length);
  word(ehsize + ph.align, 0x10000);
  file.set(text, ehsize + phentsize);
  return file;
}
