import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { enable } from '../../src/operations/enable.js';
import { status } from '../../src/operations/status.js';
import { fakeInterpreterDir, PYTHON_LINE } from '../helpers/memory.js';

describe('operations/status, on the in-memory table', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let root: string;
  before(async () => {
    fake = await fakeInterpreterDir();
    root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-root-'));
  });
  after(async () => {
    await fake.remove();
    await rm(root, { recursive: true, force: true });
  });

  it('tells registered, disabled, foreign and wrong-rule entries apart, and writes nothing', async () => {
    const table = new MemoryBinfmtTable();
    await enable(['aarch64', 'riscv64'], {
      table,
      interpreterDir: fake.dir,
      preserveArgv0: false,
      host: { machine: 'x86_64', executables: [] },
    });
    table.control('qemu-riscv64', '0');
    table.register(PYTHON_LINE);
    table.register(':qemu-s390x:M::\\x7fELF::/usr/bin/other:\n');
    const writes = table.writes.length;
    const report = await status([], { table, root, host: { machine: 'x86_64', executables: [] } });
    const pick = (name: string) => report.platforms.find((p) => p.platform === name)!;
    expect(pick('aarch64')).to.deep.include({
      registered: true,
      enabled: true,
      flags: 'F',
      matchesTable: true,
      interpreterStatic: true,
      native: false,
    });
    expect(pick('riscv64')).to.deep.include({ registered: true, enabled: false });
    expect(pick('s390x')).to.deep.include({ registered: true, matchesTable: false, interpreterPresent: false });
    expect(pick('x86_64')).to.deep.include({ registered: false, native: true, nativeReason: 'family' });
    expect(report.foreign).to.deep.equal([
      { name: 'python3.11', enabled: true, interpreter: '/usr/bin/python3.11', flags: '', type: 'magic' },
    ]);
    expect(report.kernelEnabled).to.equal(true);
    expect(table.writes.length).to.equal(writes);
  });

  it('says when binfmt_misc is not mounted or switched off', async () => {
    expect((await status([], { table: new MemoryBinfmtTable({ mounted: false }), root })).mounted).to.equal(false);
    expect((await status([], { table: new MemoryBinfmtTable({ enabled: false }), root })).kernelEnabled).to.equal(false);
  });
});
