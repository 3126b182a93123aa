import { basename } from 'node:path';
import data from '../../platforms/emulators.json' with { type: 'json' };
import type { Entry } from '../codec/entry.js';

/** An emulator other than QEMU that registers binfmt_misc entries (platforms/emulators.json). */
interface KnownEmulator {
  name: string;
  entries: string[];
  /** Its interpreter's file name. */
  interpreter: string;
  flags: string;
  /** What users hit with it; `when` limits one to an entry with F or without. */
  caveats: Array<{ when?: 'F' | 'no F'; text: string }>;
  source: string;
}

const EMULATORS = (data as { emulators: KnownEmulator[] }).emulators;

/** The known emulator an entry belongs to, by its name or its interpreter's file name. */
function knownEmulatorOf(entry: Pick<Entry, 'name' | 'interpreter'>): KnownEmulator | undefined {
  return EMULATORS.find((e) => e.entries.includes(entry.name) || basename(entry.interpreter) === e.interpreter);
}

/** The caveats of the emulator an entry belongs to that apply to it (with F or without). */
export function caveatsOf(entry: Pick<Entry, 'name' | 'interpreter' | 'flags'>): Array<{ emulator: string; text: string }> {
  const known = knownEmulatorOf(entry);
  if (!known) return [];
  const f = entry.flags.fixBinary ? 'F' : 'no F';
  return known.caveats.filter((c) => c.when === undefined || c.when === f).map((c) => ({ emulator: known.name, text: c.text }));
}
