import { expect } from 'chai';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/commands/output.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { PRIMARY_PLATFORMS } from '../../src/table/platforms.js';
import { fakeInterpreterDir, PYTHON_LINE } from '../helpers/memory.js';

/** Runs main in this process, capturing what it writes (only input errors and read-only commands here). */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const io: Io = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t) };
  const code = await main(args, io);
  return { code, ...out };
}

describe('cli: main(argv, io) returns the exit code', () => {
  it('0 and the table for platforms --json', async () => {
    const r = await cli(['platforms', '--json']);
    expect(r.code).to.equal(0);
    expect((JSON.parse(r.stdout) as { results: unknown[] }).results.length).to.equal(PRIMARY_PLATFORMS.length);
  });

  it('2 with the message and a hint for bad input, before anything is written', async () => {
    const r = await cli(['enable', 'bogus']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/^qemu-binfmt: unknown platform bogus\nhint: valid names: /);
    const twice = await cli(['enable', 'aarch64', '--interpreter', '/a', '--interpreter', '/b']);
    expect(twice).to.deep.equal({
      code: 2,
      stdout: '',
      stderr: 'qemu-binfmt: --interpreter was given more than once ("/a", "/b")\nhint: give --interpreter once\n',
    });
  });

  it('--help and --version through io', async () => {
    expect((await cli(['status', '--help'])).stdout).to.match(/^qemu-binfmt status \[platforms\.\.\]\n/);
    expect(await cli(['--version'])).to.deep.equal({
      code: 0,
      stdout: `${(await import('../../package.json', { with: { type: 'json' } })).default.version}\n`,
      stderr: '',
    });
  });

  it('-h and -V are --help and --version', async () => {
    expect(await cli(['-V'])).to.deep.equal(await cli(['--version']));
    const help = await cli(['-h']);
    expect(help).to.deep.equal(await cli(['--help']));
    expect(help.stdout).to.match(/^qemu-binfmt <command> \[options\]\n/);
    expect((await cli(['enable', '-h'])).stdout).to.equal((await cli(['enable', '--help'])).stdout);
  });

  it('answers the completion scripts: candidates, then what the shell completes itself', async () => {
    expect((await cli(['__complete', 'ena'])).stdout).to.equal('enable\tRegister QEMU for platforms\n:none\n');
    expect((await cli(['__complete', 'explain', ''])).stdout).to.equal(':files\n');
  });

  it('a JSON error for --json', async () => {
    const r = await cli(['disable', 'bogus', '--json']);
    expect(r.code).to.equal(2);
    expect(JSON.parse(r.stdout)).to.deep.include({ ok: false, command: 'disable', results: [] });
    expect((JSON.parse(r.stdout) as { problems: Array<{ code: string }> }).problems.map((p) => p.code)).to.deep.equal(['UNKNOWN_PLATFORM']);
  });
});

describe('cli on the in-memory table: main(argv, io, { table })', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  const on = (table: MemoryBinfmtTable) => async (args: string[]) => {
    const out = { stdout: '', stderr: '' };
    const code = await main(args, { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t) }, { table });
    return { code, ...out };
  };

  it('enable, status, status --check and disable work on the table given, in text and in the envelope', async () => {
    const table = new MemoryBinfmtTable();
    table.register(PYTHON_LINE);
    const cli = on(table);
    const enabled = await cli(['enable', 'aarch64', 'riscv64', '--interpreter-dir', fake.dir, '--json']);
    expect(enabled.code, enabled.stderr).to.equal(0);
    const envelope = JSON.parse(enabled.stdout) as { ok: boolean; command: string; results: Array<{ entry: string; outcome: string }> };
    expect([envelope.ok, envelope.command, envelope.results.map((r) => `${r.entry} ${r.outcome}`)]).to.deep.equal([
      true,
      'enable',
      ['qemu-aarch64 enabled', 'qemu-riscv64 enabled'],
    ]);
    expect(table.list().map((e) => e.name)).to.deep.equal(['python3.11', 'qemu-aarch64', 'qemu-riscv64']);
    const status = await cli(['status']);
    expect(status.stdout).to.match(/^aarch64 +qemu-aarch64 +enabled +PF /m);
    expect(status.stdout).to.match(/^ {2}python3\.11 +enabled/m);
    expect((await cli(['status', '--check', 'aarch64', 'riscv64', '--interpreter-dir', fake.dir])).stdout).to.equal(
      'ok: aarch64 riscv64\n',
    );
    table.control('qemu-riscv64', '0');
    const sick = await cli(['status', '--check', 'riscv64', '--interpreter-dir', fake.dir]);
    expect([sick.code, sick.stdout]).to.deep.equal([1, 'riscv64: qemu-riscv64 is disabled\n']);
    const disabled = await cli(['disable', 'all']);
    expect(disabled.code, disabled.stderr).to.equal(0);
    expect(
      table.list().map((e) => e.name),
      "another tool's entry stays",
    ).to.deep.equal(['python3.11']);
  });

  it('watch --json runs on the table given until SIGTERM, one event per line', async () => {
    const table = new MemoryBinfmtTable();
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: () => {} };
    const running = main(['watch', 'arm', '--interval', '0.01', '--json', '--interpreter-dir', fake.dir], io, { table });
    for (let i = 0; i < 2000 && !table.read('qemu-arm'); i++) await new Promise((r) => setTimeout(r, 5));
    table.control('qemu-arm', '-1');
    for (let i = 0; i < 2000 && out.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    process.emit('SIGTERM');
    expect(await running).to.equal(0);
    const events = out.map((l) => JSON.parse(l) as { event: string; entry: string; code: string });
    expect(events.map((e) => [e.event, e.entry, e.code])).to.deep.equal([
      ['repair', 'qemu-arm', 'NOT_REGISTERED'],
      ['repair', 'qemu-arm', 'NOT_REGISTERED'],
    ]);
    expect(table.read('qemu-arm')?.enabled, 'the entry stays').to.equal(true);
  });
});
