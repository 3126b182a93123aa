import { expect } from 'chai';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { disable } from '../../src/operations/disable.js';
import { enable } from '../../src/operations/enable.js';
import { fakeInterpreterDir, PYTHON_LINE } from '../helpers/memory.js';

describe('operations/disable, on the in-memory table', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());

  async function registered(): Promise<MemoryBinfmtTable> {
    const table = new MemoryBinfmtTable();
    table.register(PYTHON_LINE);
    await enable(['aarch64', 'riscv64'], {
      table,
      interpreterDir: fake.dir,
      preserveArgv0: false,
      host: { machine: 'x86_64', executables: [] },
    });
    // Same name, another rule: not ours.
    table.register(':qemu-s390x:M::\\x7fELF::/usr/bin/other:\n');
    return table;
  }

  it("all removes exactly this table's entries, reports the rest, and leaves other tools' entries", async () => {
    const table = await registered();
    const report = await disable(['all'], { table });
    const by = Object.fromEntries(report.results.filter((r) => r.outcome !== 'absent').map((r) => [r.platform, r.outcome]));
    expect(by).to.deep.equal({ aarch64: 'removed', riscv64: 'removed', s390x: 'kept' });
    expect(table.list().map((e) => e.name)).to.deep.equal(['python3.11', 'qemu-s390x']);
    expect(report.ok).to.equal(true);
  });

  it('--force removes a same-named entry that is not ours; --dry-run writes nothing', async () => {
    const table = await registered();
    const writes = table.writes.length;
    const dry = await disable(['s390x', 'aarch64'], { table, dryRun: true, force: true });
    expect(dry.results.map((r) => r.outcome)).to.deep.equal(['would-remove', 'would-remove']);
    expect(table.writes.length).to.equal(writes);
    await disable(['s390x'], { table, force: true });
    expect(table.read('qemu-s390x')).to.equal(undefined);
  });

  it('an entry that is gone is not registered, not a failure', async () => {
    const table = new MemoryBinfmtTable();
    const report = await disable(['aarch64'], { table });
    expect(report.results.map((r) => r.outcome)).to.deep.equal(['absent']);
    expect(report.ok).to.equal(true);
  });
});
