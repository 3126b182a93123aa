import { expect } from 'chai';
import { parseEntry } from '../../src/codec/entry.js';
import { hexToBytes } from '../../src/table/hex.js';

describe('entry files', () => {
  it('parse a magic entry as the kernel prints it', () => {
    const text =
      'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: POCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n';
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
