import type { Entry } from '../codec/entry.js';
import { PLATFORMS, type Platform } from '../table/platforms.js';
import { matches } from '../table/rule.js';

/** Names of this table's entries: qemu-binfmt's own (and the distribution's, which have the same names). */
const OUR_NAMES: ReadonlySet<string> = new Set(PLATFORMS.map((p) => p.entryName));

/**
 * The first bytes of the platform's programs, as its rule describes them: an executable
 * (ET_EXEC) and a position-independent one (ET_DYN), which is what current distributions build.
 */
export function programHeads(platform: Pick<Platform, 'rule' | 'endianness'>): Uint8Array[] {
  const { offset, magic } = platform.rule;
  const exec = new Uint8Array(offset + magic.length);
  exec.set(magic, offset);
  const dyn = exec.slice();
  // e_type is the half-word at 16.
  if (dyn.length > 17) dyn[platform.endianness === 'little' ? 16 : 17] = 3;
  return [exec, dyn];
}

/** Whether an entry takes the platform's programs: enabled, with a rule that matches their header. */
export function serves(entry: Entry, platform: Pick<Platform, 'rule' | 'endianness'>): boolean {
  return entry.enabled && entry.rule !== undefined && programHeads(platform).some((head) => matches(entry.rule!, head));
}

/** Another tool's entries that serve the platform (Rosetta, FEX, box64, another QEMU registrar): not of this table's names. */
export function otherServers(platform: Pick<Platform, 'rule' | 'endianness'>, entries: readonly Entry[]): Entry[] {
  return entries.filter((e) => !OUR_NAMES.has(e.name) && serves(e, platform));
}
