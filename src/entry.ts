import { parseFlagString, type Flags } from './flags.js';
import { hexToBytes } from './hex.js';
import type { MagicRule } from './rule.js';

/** An entry as the kernel shows it in <binfmt_misc>/<name>. */
export interface Entry {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: Flags;
  /** Magic entries have a rule; extension entries have an extension instead. */
  rule?: MagicRule;
  extension?: string;
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
  const interpreter = field('interpreter');
  const flags = parseFlagString((field('flags:') ?? '').trim());
  if (interpreter === undefined || flags === undefined) return undefined;
  const entry: Entry = { name, enabled: state === 'enabled', interpreter, flags };
  const extension = field('extension');
  if (extension !== undefined) return { ...entry, extension: extension.replace(/^\./, '') };
  const magic = field('magic');
  if (magic === undefined) return undefined;
  const magicBytes = hexToBytes(magic);
  const mask = field('mask');
  return {
    ...entry,
    rule: {
      offset: Number(field('offset') ?? 0),
      magic: magicBytes,
      mask: mask === undefined ? new Uint8Array(magicBytes.length).fill(0xff) : hexToBytes(mask),
    },
  };
}
