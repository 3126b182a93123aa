import type { Entry } from './entry.js';
import { flagString } from './flags.js';
import { bytesToHex } from '../table/hex.js';
import type { Registration } from './register-line.js';
import { overlaps, sameRule } from '../table/rule.js';

/** Field-by-field differences between an entry in the kernel and the registration we want. */
export function differences(actual: Entry, wanted: Registration): string[] {
  const diffs: string[] = [];
  const field = (name: string, theirs: string, ours: string) => {
    if (theirs !== ours) diffs.push(`${name} ${theirs || '(none)'} (ours: ${ours || '(none)'})`);
  };
  if (actual.bpf) return [`type bpf, handler ${actual.bpf.handler} (ours: magic)`];
  if (!actual.rule) return [`type extension .${actual.extension ?? ''} (ours: magic)`];
  field('interpreter', actual.interpreter, wanted.interpreter);
  field('flags', actual.flagText, flagString(wanted.flags));
  if (!sameRule(actual.rule, wanted.rule)) {
    field('offset', String(actual.rule.offset), String(wanted.rule.offset));
    field('magic', bytesToHex(actual.rule.magic), bytesToHex(wanted.rule.magic));
    field('mask', bytesToHex(actual.rule.mask), bytesToHex(wanted.rule.mask));
  }
  return diffs;
}

/** Other entries that could claim the same files. */
export function overlapping(entries: readonly Entry[], wanted: Registration): Entry[] {
  return entries.filter((e) => e.name !== wanted.name && e.rule !== undefined && overlaps(e.rule, wanted.rule));
}
