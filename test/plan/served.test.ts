import { expect } from 'chai';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { enable } from '../../src/operations/enable.js';
import { status } from '../../src/operations/status.js';
import { otherServers, programHeads } from '../../src/plan/served.js';
import { findPlatform } from '../../src/table/platforms.js';
import { matches } from '../../src/table/rule.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

describe("plan/served: another emulator's entry that serves a platform", () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  const riscv64 = findPlatform('riscv64')!;

  it("a platform's programs: an executable and a position-independent one, both matched by its own rule", () => {
    for (const platform of [riscv64, findPlatform('s390x')!, findPlatform('arm')!]) {
      const [exec, dyn] = programHeads(platform);
      expect(
        [exec!, dyn!].map((h) => matches(platform.rule, h)),
        platform.name,
      ).to.deep.equal([true, true]);
      expect(Buffer.from(exec!).equals(Buffer.from(dyn!))).to.equal(false);
    }
  });

  it('serves when enabled and matching; this table’s own names never count as another tool', () => {
    const table = new MemoryBinfmtTable();
    table.register(lineFor('riscv64', 'rosetta', '/opt/rosetta', 'CF'));
    table.register(lineFor('s390x', 'FEX-x86_64', '/opt/FEXInterpreter', 'POCF'));
    table.register(lineFor('riscv64', 'qemu-riscv64', '/usr/bin/qemu-riscv64-static', 'F'));
    expect(otherServers(riscv64, table.list()).map((e) => e.name)).to.deep.equal(['rosetta']);
    table.control('rosetta', '0');
    expect(otherServers(riscv64, table.list())).to.deep.equal([]);
  });

  it('enable leaves a served platform to the other emulator (yielded, a warning), --take-over registers ours and says what it shadows', async () => {
    const table = new MemoryBinfmtTable();
    table.register(lineFor('riscv64', 'rosetta', '/opt/rosetta', 'CF'));
    const options = { table, interpreterDir: fake.dir, host: { machine: 'x86_64', executables: [] } };
    const left = await enable(['riscv64', 'aarch64'], options);
    expect(left.ok).to.equal(true);
    expect(left.results.map((r) => [r.platform, r.outcome, r.servedBy])).to.deep.equal([
      ['aarch64', 'enabled', undefined],
      ['riscv64', 'yielded', 'rosetta'],
    ]);
    expect(left.results[1]!.warnings.map((w) => w.code)).to.deep.equal(['SERVED_BY_OTHER']);
    expect(table.list().map((e) => e.name)).to.have.members(['rosetta', 'qemu-aarch64']);
    const taken = await enable(['riscv64'], { ...options, takeOver: true });
    expect(taken.results.map((r) => [r.outcome, r.warnings.map((w) => w.code)])).to.deep.equal([['enabled', ['SHADOWS']]]);
    // Two entries match: only executing through the kernel tells which is used, which a table of no exec cannot.
    const served = await status(['riscv64'], { table });
    expect(served.platforms[0]!.servedBy).to.include({ undecided: true });
    table.control('rosetta', '0');
    expect((await status(['riscv64'], { table })).platforms[0]!.servedBy).to.deep.equal({
      entry: 'qemu-riscv64',
      interpreter: `${fake.dir}/qemu-riscv64-static`,
      ours: true,
    });
  });
});
