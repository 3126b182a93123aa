import { expect } from 'chai';
import { parseEntry } from '../../src/codec/entry.js';
import { hexToBytes } from '../../src/codec/hex.js';
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

describe('entry files', () => {
  it('parse a magic entry as the kernel prints it', () => {
    const text = 'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: POCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n';
    const entry = parseEntry('qemu-aarch64', text)!;
    expect(entry).to.deep.include({ name: 'qemu-aarch64', enabled: true, interpreter: '/usr/bin/qemu-aarch64-static' });
    expect(entry.flags).to.deep.equal({ preserveArgv0: true, openBinary: true, credentials: true, fixBinary: true });
    expect(entry.rule?.offset).to.equal(0);
    expect(entry.rule?.magic).to.deep.equal(hexToBytes('7f454c460201010000000000000000000200b700'));
  });

  it('parse an entry without a mask as all ones, and an extension entry', () => {
    const magic = parseEntry('python3.11', 'disabled\ninterpreter /usr/bin/python3.11\nflags: \noffset 0\nmagic a70d0d0a\n')!;
    expect(magic.enabled).to.equal(false);
    expect(magic.rule?.mask).to.deep.equal(hexToBytes('ffffffff'));
    const ext = parseEntry('jar', 'enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n')!;
    expect(ext).to.deep.include({ extension: 'jar' });
    expect(ext.rule).to.equal(undefined);
  });

  it('reject text that is not an entry', () => {
    expect(parseEntry('x', '-1')).to.equal(undefined);
    expect(parseEntry('x', 'enabled\nflags: Z\n')).to.equal(undefined);
  });
});
