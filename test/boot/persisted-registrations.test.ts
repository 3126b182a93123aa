import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { header } from '../../src/boot/file-mark.js';
import { readPersisted, registrationsIn } from '../../src/boot/persisted-registrations.js';
import { REGISTERS_PREFIX } from '../../src/boot/exporters/types.js';

const LINE = ':qemu-riscv64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01::/usr/bin/qemu-riscv64-static:F';

describe('boot/persisted', () => {
  it('reads the registrations of a file: register lines, or registers: comments', () => {
    expect(registrationsIn(`${LINE}\n`).map((r) => r.name)).to.deep.equal(['qemu-riscv64']);
    expect(registrationsIn(`#!/bin/sh\n${REGISTERS_PREFIX}${LINE}\necho ${LINE}\n`).map((r) => r.interpreter)).to.deep.equal([
      '/usr/bin/qemu-riscv64-static',
    ]);
  });

  it("finds the files qemu-binfmt wrote, and other tools' binfmt.d files as the distribution's, under a root", async () => {
    const root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-persisted-'));
    try {
      await mkdir(join(root, 'etc/binfmt.d'), { recursive: true });
      await writeFile(
        join(root, 'etc/binfmt.d/qemu-riscv64.conf'),
        [...header({ regenerate: 'qemu-binfmt persist riscv64' }), LINE, ''].join('\n'),
      );
      await writeFile(join(root, 'etc/binfmt.d/other.conf'), `${LINE.replace('qemu-riscv64', 'other')}\n`);
      const found = readPersisted(root);
      expect([...found.keys()].sort()).to.deep.equal(['other', 'qemu-riscv64']);
      expect(found.get('qemu-riscv64')).to.deep.include({ file: join(root, 'etc/binfmt.d/qemu-riscv64.conf'), by: 'qemu-binfmt' });
      expect(found.get('other')).to.deep.include({ file: join(root, 'etc/binfmt.d/other.conf'), by: 'distribution' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
