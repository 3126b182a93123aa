import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseElfHeader, type ElfHeader } from '../elf/header.js';
import { READ_NONBLOCKING, RULE_WINDOW } from '../elf/layout.js';
import { errnoOf } from '../errors.js';
import { PLATFORMS, type Platform } from '../table/platforms.js';
import { matches } from '../table/rule.js';

/** What a file is, as far as its first bytes tell, without running it. */
export type Identity =
  | { kind: 'missing' | 'directory' | 'unreadable' | 'special'; detail: string }
  | { kind: 'script'; interpreter: string; args: string; head: Uint8Array }
  | { kind: 'elf'; header: ElfHeader; platform: Platform | undefined; head: Uint8Array }
  | { kind: 'other'; what: string; head: Uint8Array };

/** The platforms of our table that claim these first bytes (the first one is the file's). */
function platformsOf(head: Uint8Array): Platform[] {
  return PLATFORMS.filter((p) => matches(p.rule, head));
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, READ_NONBLOCKING);
  try {
    const buffer = new Uint8Array(RULE_WINDOW);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

const startsWith = (head: Uint8Array, bytes: readonly number[]) => bytes.every((b, i) => head[i] === b);

/** Formats that are not ELF, by their magic bytes. */
function otherFormat(head: Uint8Array): string {
  if (startsWith(head, [0x4d, 0x5a])) return 'a Windows or DOS program (PE/MZ): no QEMU user-mode emulator runs it (wine does)';
  if (
    [
      [0xfe, 0xed, 0xfa, 0xce],
      [0xfe, 0xed, 0xfa, 0xcf],
      [0xce, 0xfa, 0xed, 0xfe],
      [0xcf, 0xfa, 0xed, 0xfe],
      [0xca, 0xfe, 0xba, 0xbe],
    ].some((m) => startsWith(head, m))
  ) {
    return 'a macOS program (Mach-O): QEMU linux-user runs only Linux ELF programs';
  }
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return 'a WebAssembly module: it needs a wasm runtime, not QEMU';
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'an ELF file with a header this tool cannot decode (truncated or corrupt)';
  if (head.length === 0) return 'an empty file';
  const text = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0x80);
  return text ? 'a text file without a #! line: the kernel does not run it (a shell may, as a script)' : 'data of no known program format';
}

/** Reads what a file is (at path; named shown): missing, a directory, a #! script, an ELF program (and of which platform), or something else. */
export function identify(path: string, shown = path): Identity {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return { kind: 'missing', detail: `${shown} does not exist` };
  if (st.isDirectory()) return { kind: 'directory', detail: `${shown} is a directory` };
  if (!st.isFile()) return { kind: 'special', detail: `${shown} is not a regular file` };
  let head: Uint8Array;
  try {
    head = readHead(path);
  } catch (err) {
    return { kind: 'unreadable', detail: `${shown} cannot be read (${errnoOf(err) ?? 'error'})` };
  }
  if (startsWith(head, [0x23, 0x21])) {
    const line = Buffer.from(head).toString('latin1').slice(2).split('\n')[0]!.trim();
    const [interpreter = '', ...rest] = line.split(/\s+/);
    return { kind: 'script', interpreter, args: rest.join(' '), head };
  }
  const header = parseElfHeader(head);
  if (header) return { kind: 'elf', header, platform: platformsOf(head)[0], head };
  return { kind: 'other', what: otherFormat(head), head };
}
