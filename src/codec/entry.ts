import { flagString, parseFlagString, type Flags } from './flags.js';
import { bytesToHex, hexToBytes } from '../table/hex.js';
import type { Registration } from './register-line.js';
import type { MagicRule } from '../table/rule.js';

/** An entry as the kernel shows it in <binfmt_misc>/<name>. */
export interface Entry {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: Flags;
  /** The flags as the kernel printed them, letters this tool does not know included. */
  flagText: string;
  /** Magic entries have a rule; extension entries have an extension instead. */
  rule?: MagicRule;
  extension?: string;
  /**
   * Linux >= 7.3: a B entry, matched by a bpf program (struct_ops handler), with interpreters
   * bound per name. What it claims cannot be predicted from userspace; it is never touched.
   */
  bpf?: { handler: string; interpreters: Array<{ name: string; path: string }> };
}

/** Parses the text of an entry file; undefined when it is not one. */
export function parseEntry(name: string, text: string): Entry | undefined {
  const lines = text.split('\n');
  const state = lines[0];
  if (state !== 'enabled' && state !== 'disabled') return undefined;
  const field = (key: string): string | undefined => {
    const line = lines.find((l) => l.startsWith(`${key} `));
    return line === undefined ? undefined : line.slice(key.length + 1);
  };
  const flagText = (field('flags:') ?? '').trim();
  const flags = parseFlagString(flagText.replace(/[^POCFTL]/g, ''))!;
  const handler = field('bpf');
  if (handler !== undefined) {
    const interpreters = lines
      .filter((l) => l.startsWith('bpf-interpreter '))
      .map((l) => {
        const [, bound = '', ...path] = l.split(' ');
        return { name: bound, path: path.join(' ') };
      });
    return { name, enabled: state === 'enabled', interpreter: '', flags, flagText, bpf: { handler, interpreters } };
  }
  const interpreter = field('interpreter');
  if (interpreter === undefined) return undefined;
  const entry: Entry = { name, enabled: state === 'enabled', interpreter, flags, flagText };
  const extension = field('extension');
  if (extension !== undefined) return { ...entry, extension: extension.replace(/^\./, '') };
  const magic = field('magic');
  if (magic === undefined) return undefined;
  if (!/^(?:[0-9a-f]{2})+$/.test(magic)) return undefined;
  const magicBytes = hexToBytes(magic);
  const mask = field('mask');
  if (mask !== undefined && !/^(?:[0-9a-f]{2})*$/.test(mask)) return undefined;
  return {
    ...entry,
    rule: {
      offset: Number(field('offset') ?? 0),
      magic: magicBytes,
      mask: mask === undefined ? new Uint8Array(magicBytes.length).fill(0xff) : hexToBytes(mask),
    },
  };
}

/** What the kernel shows in <binfmt_misc>/<name> right after this registration (without the final newline). */
export function entryText({ rule, interpreter, flags }: Registration): string {
  return [
    'enabled',
    `interpreter ${interpreter}`,
    `flags: ${flagString(flags)}`,
    `offset ${rule.offset}`,
    `magic ${bytesToHex(rule.magic)}`,
    `mask ${bytesToHex(rule.mask)}`,
  ].join('\n');
}
