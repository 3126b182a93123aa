import { expect } from 'chai';
import { hexToBytes } from '../../src/table/hex.js';
import { matches, overlaps, sameRule } from '../../src/table/rule.js';

const rule = (offset: number, magic: string, mask: string) => ({ offset, magic: hexToBytes(magic), mask: hexToBytes(mask) });

describe('magic rules', () => {
  it('match as the kernel does: ((file ^ magic) & mask) == 0, magic bits outside the mask ignored', () => {
    const r = rule(1, 'aaff', 'ff0f');
    expect(matches(r, Uint8Array.from([0, 0xaa, 0x3f]))).to.equal(true);
    expect(matches(r, Uint8Array.from([0, 0xab, 0x0f]))).to.equal(false);
    expect(matches(r, Uint8Array.from([0, 0xaa]))).to.equal(false);
  });

  it('overlap when some file could match both, at any offsets', () => {
    expect(overlaps(rule(0, '7f45', 'ffff'), rule(1, '45', 'ff'))).to.equal(true);
    expect(overlaps(rule(0, '7f45', 'ffff'), rule(1, '46', 'ff'))).to.equal(false);
    expect(overlaps(rule(0, '7f45', 'ffff'), rule(1, '44', 'fe'))).to.equal(true);
    expect(overlaps(rule(0, '01', 'ff'), rule(4, '02', 'ff'))).to.equal(true);
  });

  it('are the same when offset, mask and masked magic agree', () => {
    expect(sameRule(rule(0, 'ff00', 'f0ff'), rule(0, 'f000', 'f0ff'))).to.equal(true);
    expect(sameRule(rule(0, 'ff00', 'f0ff'), rule(0, 'ff00', 'ffff'))).to.equal(false);
    expect(sameRule(rule(0, 'ff', 'ff'), rule(1, 'ff', 'ff'))).to.equal(false);
  });
});
