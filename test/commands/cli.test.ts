import { expect } from 'chai';
import { main } from '../../src/cli.js';
import type { Io } from '../../src/commands/output.js';
import { PRIMARY_PLATFORMS } from '../../src/table/platforms.js';

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

  it('a JSON error for --json', async () => {
    const r = await cli(['disable', 'bogus', '--json']);
    expect(r.code).to.equal(2);
    expect(JSON.parse(r.stdout)).to.deep.include({ ok: false, command: 'disable', results: [] });
    expect((JSON.parse(r.stdout) as { problems: Array<{ code: string }> }).problems.map((p) => p.code)).to.deep.equal(['UNKNOWN_PLATFORM']);
  });
});
