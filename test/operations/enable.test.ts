import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { copyFile, link, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFlagString } from '../../src/codec/flags.js';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { enable, type EnableOptions } from '../../src/operations/enable.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';
import { caughtAsync } from '../helpers/caught.js';
import { fakeInterpreterDir, PYTHON_LINE } from '../helpers/memory.js';

describe('operations/enable, on the in-memory table', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let table: MemoryBinfmtTable;
  let options: EnableOptions;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  beforeEach(() => {
    table = new MemoryBinfmtTable();
    options = { table, interpreterDir: fake.dir, host: { machine: 'x86_64', executables: [] } };
  });
  const qemu = (binary: string) => join(fake.dir, `${binary}-static`);

  it('registers with F (static) and P, reads back, and a second run writes nothing', async () => {
    const first = await enable(['arm64'], options);
    expect(first.results.map((r) => [r.entry, r.outcome, r.flags])).to.deep.equal([['qemu-aarch64', 'enabled', 'PF']]);
    expect(table.text('qemu-aarch64')).to.match(new RegExp(`^enabled\\ninterpreter ${qemu('qemu-aarch64')}\\nflags: PF\\n`));
    const writes = table.writes.length;
    const again = await enable(['aarch64'], options);
    expect(again.results[0]?.outcome).to.equal('unchanged');
    expect(table.writes.length).to.equal(writes);
  });

  it('all registers every platform not of the host family, once each, in table order', async () => {
    const report = await enable(['all'], options);
    const native = PLATFORMS.filter((p) => p.family === 'i386').map((p) => p.name);
    expect(report.skipped.map((s) => s.platform)).to.deep.equal(native);
    expect(report.results.map((r) => r.platform)).to.deep.equal(PLATFORMS.filter((p) => !native.includes(p.name)).map((p) => p.name));
    // One line per platform, after the first one tried with D (Linux 7.3), which this kernel refuses once.
    const lines = table.writes.filter(([file]) => file === 'register').map(([, text]) => text);
    expect(lines.filter((l) => !l.endsWith('D\n'))).to.have.length(report.results.length);
    expect(lines.filter((l) => l.endsWith('D\n'))).to.have.length(1);
    expect(report.ok).to.equal(true);
  });

  it("keeps a differing same-named entry (exit 1 for it), replaces it with --force, and never touches another tool's entry", async () => {
    table.register(PYTHON_LINE);
    table.register(
      `:qemu-arm:M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/opt/old/qemu-arm:\n`,
    );
    const python = table.text('python3.11');
    const kept = await enable(['arm', 'aarch64'], options);
    expect(kept.results.map((r) => [r.platform, r.outcome, r.error?.code])).to.deep.equal([
      ['arm', 'failed', 'EXISTS_DIFFERENT'],
      ['aarch64', 'enabled', undefined],
    ]);
    expect(kept.ok).to.equal(false);
    const forced = await enable(['arm'], { ...options, force: true });
    expect(forced.results[0]?.outcome).to.equal('replaced');
    expect(table.read('qemu-arm')?.interpreter).to.equal(qemu('qemu-arm'));
    expect(table.text('python3.11')).to.equal(python);
  });

  it('re-enables an identical disabled entry; a dry run writes nothing', async () => {
    await enable(['riscv64'], options);
    table.control('qemu-riscv64', '0');
    const writes = table.writes.length;
    const dry = await enable(['riscv64', 's390x'], { ...options, dryRun: true });
    expect(dry.results.map((r) => r.outcome)).to.deep.equal(['would-enable', 'would-enable']);
    expect(table.writes.length).to.equal(writes);
    expect((await enable(['riscv64'], options)).results[0]?.detail).to.equal('was disabled; enabled it');
  });

  it('refuses bad input before writing anything', async () => {
    for (const names of [['bogus'], ['x86_64'], []]) {
      const err = await caughtAsync(() => enable(names, options));
      expect(err.exitCode, names.join(' ')).to.equal(2);
    }
    expect(table.writes).to.deep.equal([]);
  });

  it('fails NOT_MOUNTED without a mount, and mounts with mount', async () => {
    const unmounted = new MemoryBinfmtTable({ mounted: false });
    expect((await caughtAsync(() => enable(['aarch64'], { ...options, table: unmounted }))).code).to.equal('NOT_MOUNTED');
    const report = await enable(['aarch64'], { ...options, table: unmounted, mount: true });
    expect(report.conditions[0]).to.include({ code: 'MOUNTED_NOW', severity: 'notice' });
    expect(report.ok).to.equal(true);
  });

  it("an entry with our rule through a link to the platform's QEMU is the distribution's: kept with a warning; --force makes it ours", async () => {
    const wrapper = join(fake.dir, 'aarch64-binfmt-P');
    await symlink(qemu('qemu-aarch64'), wrapper);
    table.register(
      formatRegisterLine({
        name: 'qemu-aarch64',
        rule: findPlatform('aarch64')!.rule,
        interpreter: wrapper,
        flags: parseFlagString('OPF')!,
      }),
    );
    const report = await enable(['aarch64'], options);
    expect(report.ok).to.equal(true);
    expect(report.results[0]).to.deep.include({ outcome: 'kept', interpreter: wrapper, flags: 'POF' });
    expect(report.results[0]?.differences).to.deep.equal([
      `interpreter ${wrapper} (ours: ${qemu('qemu-aarch64')})`,
      'flags POF (ours: PF)',
    ]);
    expect(report.results[0]?.warnings.map((w) => w.code)).to.deep.equal(['DISTRIBUTION_KEPT']);
    const explicit = await enable(['aarch64'], { ...options, preserveArgv0: true, fixBinary: true, openBinary: false });
    expect(explicit.results[0]?.error?.code, 'flags asked for that it does not have').to.equal('EXISTS_DIFFERENT');
    expect((await enable(['aarch64'], { ...options, force: true })).results[0]?.outcome).to.equal('replaced');
    expect(table.read('qemu-aarch64')?.interpreter).to.equal(qemu('qemu-aarch64'));
  });

  it('says that nothing runs while binfmt_misc is switched off as a whole: a problem, so it fails', async () => {
    table.setKernelEnabled(false);
    const report = await enable(['aarch64'], options);
    expect(report.conditions).to.deep.equal([
      {
        code: 'SWITCHED_OFF',
        severity: 'problem',
        problem: `binfmt_misc is switched off as a whole (${table.dir}/status reads disabled): no entry runs anything`,
        fix: `echo 1 > ${table.dir}/status`,
      },
    ]);
    expect(report.ok).to.equal(false);
  });

  it('without F, an interpreter that vanishes while registering fails the platform and its entry is removed', async () => {
    const victim = join(fake.dir, 'qemu-riscv64-static');
    class Vanishing extends MemoryBinfmtTable {
      override register(line: string): void {
        rmSync(victim, { force: true });
        super.register(line);
      }
    }
    const vanishing = new Vanishing();
    try {
      const report = await enable(['riscv64'], { ...options, table: vanishing, fixBinary: false });
      expect(report.results[0]).to.deep.include({ outcome: 'failed' });
      expect(report.results[0]?.error?.code).to.equal('INTERPRETER_NOT_FOUND');
      expect(vanishing.list()).to.deep.equal([]);
    } finally {
      await copyFile(qemu('qemu-aarch64'), victim);
    }
  });

  it('an entry with our interpreter but other flags is not ours; a hard link to ours is', async () => {
    await enable(['aarch64'], options);
    const withC = await enable(['aarch64'], { ...options, credentials: true });
    expect(withC.results[0]?.error?.code).to.equal('EXISTS_DIFFERENT');
    const hard = join(fake.dir, 'hard-qemu-arm');
    await link(qemu('qemu-arm'), hard);
    table.register(
      formatRegisterLine({ name: 'qemu-arm', rule: findPlatform('arm')!.rule, interpreter: hard, flags: parseFlagString('F')! }),
    );
    expect((await enable(['arm'], options)).results[0]).to.deep.include({ outcome: 'unchanged', interpreter: hard });
    expect((await enable(['arm'], { ...options, preserveArgv0: false, fixBinary: true })).results[0]?.outcome).to.equal('unchanged');
    expect((await enable(['arm'], { ...options, preserveArgv0: true })).results[0]?.error?.code).to.equal('EXISTS_DIFFERENT');
  });

  it('with --force, an interpreter that vanishes while registering puts the previous entry back', async () => {
    const victim = join(fake.dir, 'qemu-s390x-static');
    class Vanishing extends MemoryBinfmtTable {
      override register(line: string): void {
        if (line.includes(victim)) rmSync(victim, { force: true });
        super.register(line);
      }
    }
    const vanishing = new Vanishing();
    const old = formatRegisterLine({
      name: 'qemu-s390x',
      rule: findPlatform('s390x')!.rule,
      interpreter: '/usr/bin/other',
      flags: parseFlagString('')!,
    });
    vanishing.register(old);
    try {
      const report = await enable(['s390x'], { ...options, table: vanishing, fixBinary: false, force: true });
      expect(report.results[0]?.error?.code).to.equal('INTERPRETER_NOT_FOUND');
      expect(report.results[0]?.error?.message).to.include('the previous entry was put back');
      expect(vanishing.read('qemu-s390x')?.interpreter).to.equal('/usr/bin/other');
    } finally {
      await copyFile(qemu('qemu-aarch64'), victim);
    }
  });

  it('--verify where the probes cannot run reports every registered platform as not verified', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(fake.dir, 'missing');
    try {
      const report = await enable(['aarch64', 'riscv64'], { ...options, verify: true });
      expect(report.ok).to.equal(false);
      expect(report.results.map((r) => r.error?.message.replace(/: .*/, ''))).to.deep.equal([
        'registered, but not verified',
        'registered, but not verified',
      ]);
      expect(table.list().map((e) => e.name)).to.deep.equal(['qemu-aarch64', 'qemu-riscv64']);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
