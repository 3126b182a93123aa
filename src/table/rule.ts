/** A binfmt_misc magic rule: a file matches when ((file[offset+i] ^ magic[i]) & mask[i]) == 0. */
export interface MagicRule {
  offset: number;
  magic: Uint8Array;
  mask: Uint8Array;
}

export function matches(rule: MagicRule, file: Uint8Array): boolean {
  if (file.length < rule.offset + rule.magic.length) return false;
  return rule.magic.every((m, i) => ((file[rule.offset + i]! ^ m) & rule.mask[i]!) === 0);
}

/** True when some file could match both rules. */
export function overlaps(a: MagicRule, b: MagicRule): boolean {
  const start = Math.max(a.offset, b.offset);
  const end = Math.min(a.offset + a.magic.length, b.offset + b.magic.length);
  for (let pos = start; pos < end; pos++) {
    const i = pos - a.offset;
    const j = pos - b.offset;
    if ((a.magic[i]! ^ b.magic[j]!) & a.mask[i]! & b.mask[j]!) return false;
  }
  return true;
}

/** The same set of files: equal offset and mask, and equal magic under the mask. */
export function sameRule(a: MagicRule, b: MagicRule): boolean {
  return (
    a.offset === b.offset &&
    a.magic.length === b.magic.length &&
    a.mask.length === b.mask.length &&
    a.mask.every((m, i) => m === b.mask[i]) &&
    a.magic.every((m, i) => ((m ^ b.magic[i]!) & a.mask[i]!) === 0)
  );
}
