import { expect } from 'chai';
import { differences, overlapping } from '../../src/codec/compare.js';
import { parseEntry } from '../../src/codec/entry.js';
import { entryText } from '../../src/codec/entry.js';
import type { Registration } from '../../src/codec/register-line.js';
import { findPlatform } from '../../src/table/platforms.js';

const aarch64 = findPlatform('aarch64')!;
const ours: Registration = {
  name: 'qemu-aarch64',
  rule: aarch64.rule,
  interpreter: '/usr/bin/qemu-aarch64-static',
  flags: { preserveArgv0: true, openBinary: false, credentials: false, fixBinary: true },
};

describe('codec/compare', () => {
  it('finds no difference in the entry a registration makes', () => {
    expect(differences(parseEntry(ours.name, entryText(ours))!, ours)).to.deep.equal([]);
  });

  it('names each differing field with theirs and ours', () => {
    const text = entryText({ ...ours, interpreter: '/opt/qemu', flags: { ...ours.flags, preserveArgv0: false } });
    expect(differences(parseEntry(ours.name, text)!, ours)).to.deep.equal([
      'interpreter /opt/qemu (ours: /usr/bin/qemu-aarch64-static)',
      'flags F (ours: PF)',
    ]);
    const ext = parseEntry(ours.name, 'enabled\ninterpreter /x\nflags: \nextension .foo\n')!;
    expect(differences(ext, ours)).to.deep.equal(['type extension .foo (ours: magic)']);
  });

  it('lists other entries whose rules could claim the same files', () => {
    const anyElf = parseEntry('any-elf', 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 7f454c46\n')!;
    const python = parseEntry('python', 'enabled\ninterpreter /y\nflags: \noffset 0\nmagic a70d0d0a\n')!;
    const same = parseEntry(ours.name, entryText(ours))!;
    expect(overlapping([anyElf, python, same], ours).map((e) => e.name)).to.deep.equal(['any-elf']);
  });
});
