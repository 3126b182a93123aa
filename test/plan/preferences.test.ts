import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { enable } from '../../src/operations/enable.js';
import { readPreferences } from '../../src/plan/preferences.js';
import { caught } from '../helpers/caught.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

describe('plan/preferences: which emulator each platform should have', () => {
  let dir = '';
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-prefs-'));
    fake = await fakeInterpreterDir();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await fake.remove();
  });
  const file = async (text: string) => {
    const path = join(dir, `p${Math.random().toString(36).slice(2)}`);
    await writeFile(path, text);
    return path;
  };

  it('reads PLATFORM: CHOICE, CHOICE lines, aliases and comments; the default file may be missing, a named one may not', async () => {
    const prefs = readPreferences(await file('# ours last\nlinux/riscv64: rosetta, qemu\n\ns390x : qemu  # ours first\n'));
    expect([...prefs]).to.deep.equal([
      ['riscv64', ['rosetta', 'qemu']],
      ['s390x', ['qemu']],
    ]);
    expect(readPreferences(undefined, dir).size).to.equal(0);
    const missing = caught(() => readPreferences(join(dir, 'none')));
    expect(missing).to.include({ code: 'USAGE', exitCode: 2 });
    expect(missing.message).to.match(/does not exist/);
  });

  it('bad lines are bad input naming the file and line', async () => {
    for (const text of ['riscv64 rosetta\n', 'bogus: qemu\n', 'riscv64: ros etta\n', 'riscv64:\n', 'riscv64: status, qemu\n']) {
      const path = await file(text);
      const err = caught(() => readPreferences(path));
      expect(err, text).to.include({ code: 'USAGE', exitCode: 2 });
      expect(err.message, text).to.include(`${path}:1:`);
    }
  });

  it("enable follows the first choice registered: another tool's (ours steps aside), ours (it wins), or none", async () => {
    const table = new MemoryBinfmtTable();
    table.register(lineFor('riscv64', 'rosetta', '/opt/rosetta', 'CF'));
    const options = { table, interpreterDir: fake.dir, host: { machine: 'x86_64', executables: [] } };
    const outcome = async (line: string) => {
      const r = await enable(['riscv64'], { ...options, preferences: readPreferences(await file(`${line}\n`)) });
      return [r.results[0]!.outcome, r.results[0]!.warnings.map((w) => w.code)];
    };
    // Ours first: registered over rosetta, which it shadows.
    expect(await outcome('riscv64: qemu, rosetta')).to.deep.equal(['enabled', ['SHADOWS']]);
    // Rosetta first, and there: ours steps aside.
    expect(await outcome('riscv64: rosetta, qemu')).to.deep.equal(['yielded', ['SERVED_BY_OTHER']]);
    expect(table.list().map((e) => e.name)).to.deep.equal(['rosetta']);
    // Rosetta first, but disabled: ours (the disabled entry still overlaps it).
    table.control('rosetta', '0');
    expect(await outcome('riscv64: rosetta, qemu')).to.deep.equal(['enabled', ['OVERLAPS']]);
    // Rosetta only, and not serving: nothing of ours, said.
    expect(await outcome('riscv64: rosetta')).to.deep.equal(['yielded', ['OVERLAPS', 'NO_PREFERRED']]);
    expect(table.list().map((e) => e.name)).to.deep.equal(['rosetta']);
  });
});
