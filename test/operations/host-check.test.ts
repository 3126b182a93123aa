import { expect } from 'chai';
import { parseFlagString } from '../../src/codec/flags.js';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { readElfInfo } from '../../src/elf/header.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { enable, type EnableOptions } from '../../src/operations/enable.js';
import { findPlatform } from '../../src/table/platforms.js';
import { fakeInterpreterDir, PYTHON_LINE } from '../helpers/memory.js';

describe('operations/host-check: the host self-test after the writes, on the in-memory table', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let table: MemoryBinfmtTable;
  let options: EnableOptions;
  let probes = 0;
  // The memory table decides as the kernel would whether /bin/sh is still run natively.
  const sh = readElfInfo('/bin/sh').head;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  beforeEach(() => {
    table = new MemoryBinfmtTable();
    probes = 0;
    options = {
      table,
      interpreterDir: fake.dir,
      // The static check misses: it is told the host runs aarch64 and has no executables.
      host: { machine: 'aarch64', executables: [] },
      hostProbe: () => {
        probes++;
        return table.handlerFor(sh) ? 'ELOOP' : undefined;
      },
    };
  });

  it('one probe when nothing breaks', async () => {
    const report = await enable(['riscv64', 's390x'], options);
    expect(report.ok).to.equal(true);
    expect(probes).to.equal(1);
  });

  it('an entry that captures the host is found among the written ones, removed, and fails; the innocent stay', async () => {
    table.register(PYTHON_LINE);
    const before = table.text('python3.11');
    const report = await enable(['riscv64', 'x86_64', 's390x'], options);
    const by = Object.fromEntries(report.results.map((r) => [r.platform, r.outcome]));
    expect(by).to.deep.equal({ x86_64: 'failed', s390x: 'enabled', riscv64: 'enabled' });
    expect(report.results.find((r) => r.platform === 'x86_64')?.error?.message).to.match(
      /^registering qemu-x86_64 made this host's own programs fail: \/bin\/sh -c true failed \(ELOOP\)/,
    );
    expect(table.list().map((e) => e.name)).to.deep.equal(['python3.11', 'qemu-riscv64', 'qemu-s390x']);
    expect(table.text('python3.11')).to.equal(before);
  });

  it('an entry it replaced is put back when the new one captures the host', async () => {
    const x86 = findPlatform('x86_64')!;
    const harmless = { ...x86.rule, magic: Uint8Array.from(x86.rule.magic, (b, i) => (i === 18 ? 0x01 : b)) };
    table.register(formatRegisterLine({ name: 'qemu-x86_64', rule: harmless, interpreter: '/opt/old', flags: parseFlagString('')! }));
    const old = table.text('qemu-x86_64');
    const report = await enable(['x86_64'], { ...options, force: true });
    expect(report.results[0]?.error?.message).to.include('the previous entry was put back');
    expect(table.text('qemu-x86_64')).to.equal(old);
  });

  it('a host that fails without our entries too is said so, and ours are kept', async () => {
    const report = await enable(['riscv64'], { ...options, hostProbe: () => 'ENOEXEC' });
    expect(report.results[0]?.outcome).to.equal('enabled');
    expect(report.conditions.map((c) => c.code)).to.deep.equal(['HOST_BROKEN_BEFORE']);
    expect(table.read('qemu-riscv64')).to.not.equal(undefined);
  });
});
