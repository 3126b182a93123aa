import { expect } from 'chai';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { QemuBinfmtError } from '../../src/errors.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { findPlatform } from '../../src/table/platforms.js';
import { caught } from '../helpers/caught.js';
import { PYTHON_LINE } from '../helpers/memory.js';

const aarch64 = findPlatform('aarch64')!;
const line = (
  interpreter = '/usr/bin/qemu-aarch64-static',
  flags = { preserveArgv0: true, openBinary: false, credentials: false, fixBinary: true },
) => formatRegisterLine({ name: aarch64.entryName, rule: aarch64.rule, interpreter, flags });
const errnoOf = (fn: () => unknown) => caught(fn).errno;

describe('kernel/memory-table: an in-memory binfmt_misc', () => {
  it('shows an entry in the kernel text, flags in P O C F order with C implying O', () => {
    const table = new MemoryBinfmtTable();
    table.register(line());
    expect(table.text('qemu-aarch64')).to.equal(
      'enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: PF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n',
    );
    table.register(':c:M::\\x01::/bin/x:CP\n');
    expect(table.text('c')).to.equal('enabled\ninterpreter /bin/x\nflags: POC\noffset 0\nmagic 01\n');
    table.register(':jar:E::jar::/usr/bin/jexec:\n');
    expect(table.text('jar')).to.equal('enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n');
    expect(table.list().map((e) => e.name)).to.deep.equal(['c', 'jar', 'qemu-aarch64']);
  });

  it('refuses as the kernel does: EEXIST for a taken name, EINVAL for a bad line, ENOENT for a missing F interpreter', () => {
    const table = new MemoryBinfmtTable({ interpreterExists: (p) => p !== '/gone' });
    table.register(line());
    expect(errnoOf(() => table.register(line()))).to.equal('EEXIST');
    expect(errnoOf(() => table.register(':status:M::\\x01::/bin/x:\n'))).to.equal('EEXIST');
    expect(errnoOf(() => table.register(':x:M::\\x01::/bin/x:Z\n'))).to.equal('EINVAL');
    expect(errnoOf(() => table.register(':x:M::\\x01\\x02:\\xff:/bin/x:\n'))).to.equal('EINVAL');
    expect(errnoOf(() => table.register(`:x:M:255:\\x01\\x02::/bin/x:\n`))).to.equal('EINVAL');
    expect(errnoOf(() => table.register(':x:Q::\\x01::/bin/x:\n'))).to.equal('EINVAL');
    expect(errnoOf(() => table.register(line('/gone')))).to.equal('ENOENT');
    expect(caught(() => table.register(line('/gone'))).code).to.equal('KERNEL_REJECTED');
  });

  it('enables, disables and removes by writing 1, 0 and -1; a missing entry is ENOENT on open', () => {
    const table = new MemoryBinfmtTable();
    table.register(line());
    table.control('qemu-aarch64', '0');
    expect(table.read('qemu-aarch64')?.enabled).to.equal(false);
    table.control('qemu-aarch64', '1');
    expect(table.read('qemu-aarch64')?.enabled).to.equal(true);
    table.control('qemu-aarch64', '-1');
    expect(table.read('qemu-aarch64')).to.equal(undefined);
    const err = caught(() => table.control('qemu-aarch64', '-1'));
    expect([err.code, err.errno]).to.deep.equal(['IO', 'ENOENT']);
  });

  it('hands a file to the newest registered enabled entry that matches, and to none when switched off', () => {
    const table = new MemoryBinfmtTable();
    const header = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0xb7, 0]);
    table.register(line());
    table.register(':any-elf:M::\\x7fELF::/usr/bin/other:\n');
    expect(table.handlerFor(header)?.name).to.equal('any-elf');
    table.control('any-elf', '0');
    expect(table.handlerFor(header)?.name).to.equal('qemu-aarch64');
    table.register(PYTHON_LINE);
    expect(table.handlerFor(Uint8Array.from([0xa7, 0x0d, 0x0d, 0x0a]))?.name).to.equal('python3.11');
    table.setKernelEnabled(false);
    expect(table.handlerFor(header)).to.equal(undefined);
  });

  it('fails like an unmounted directory when not mounted, and mounts', async () => {
    const table = new MemoryBinfmtTable({ mounted: false });
    expect(table.mountState()).to.equal('absent');
    const err = caught(() => table.register(line()));
    expect(err).to.be.instanceOf(QemuBinfmtError);
    expect(err.errno).to.equal('ENOENT');
    await table.mount();
    table.register(line());
    expect(table.list()).to.have.length(1);
  });
});
