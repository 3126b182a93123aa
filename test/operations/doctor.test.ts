import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { doctor, type DoctorOptions } from '../../src/operations/doctor.js';
import { enable, type EnableOptions } from '../../src/operations/enable.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

describe('operations/doctor, on the in-memory table', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let root: string;
  let table: MemoryBinfmtTable;
  let options: DoctorOptions;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-doctor-'));
    table = new MemoryBinfmtTable();
    options = { table, root, nixConf: join(root, 'nix.conf'), host: { machine: 'x86_64', executables: [] } };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  /** Registers as enable does here: the fake interpreters, no host self-test (the table is in memory). */
  const register = (names: string[], extra: EnableOptions = {}) =>
    enable(names, { table, interpreterDir: fake.dir, host: { machine: 'x86_64', executables: [] }, hostProbe: () => undefined, ...extra });
  const fixes = async () => (await doctor(options)).problems.map((p) => p.fix);

  it('says when binfmt_misc is not mounted, and how to mount it', async () => {
    const report = await doctor({ ...options, table: new MemoryBinfmtTable({ mounted: false }) });
    expect(report.ok).to.equal(false);
    expect(report.problems.map((p) => p.fix)).to.deep.equal([`mount -t binfmt_misc binfmt_misc ${table.dir}`]);
  });

  it('finds a disabled entry, an interpreter missing without F, and the table switched off', async () => {
    await register(['riscv64']);
    table.control('qemu-riscv64', '0');
    table.register(lineFor('s390x', 'qemu-s390x', '/opt/gone/qemu-s390x', 'P'));
    const found = await fixes();
    expect(found).to.include('qemu-binfmt enable riscv64');
    expect(found).to.include('qemu-binfmt enable s390x --force');
    table.setKernelEnabled(false);
    expect(await fixes()).to.include(`echo 1 > ${table.dir}/status`);
  });

  it("names an interpreter nix-daemon's sandbox cannot see (no F, not listed)", async () => {
    await writeFile(join(root, 'nix.conf'), 'sandbox = true\n');
    await register(['riscv64'], { fixBinary: false });
    expect(await fixes()).to.include(`qemu-binfmt sandbox nix riscv64 --write ${join(root, 'nix.conf')}`);
  });

  it('names other handlers that claim the same files', async () => {
    await register(['aarch64']);
    table.register(lineFor('aarch64', 'FEX-aarch64', '/usr/bin/FEXInterpreter', 'F'));
    const report = await doctor(options);
    expect(report.facts.some((f) => f.startsWith('FEX-aarch64 (/usr/bin/FEXInterpreter) also claim aarch64 files'))).to.equal(true);
  });
});
