import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { checkRegistered } from '../../src/operations/check.js';
import { enable, type EnableOptions } from '../../src/operations/enable.js';
import { watch, type WatchEvent } from '../../src/operations/watch.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

/** watch and status --check on the in-memory table: what they find, and what watch does about it. */
describe('operations/watch and check, on the in-memory table', () => {
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

  const codes = async (names: string[], extra: Partial<EnableOptions> = {}) =>
    (await checkRegistered(names, { ...options, ...extra })).problems.map((p) => [p.platform, p.code]);

  it('check: ok when as enable leaves it; each other state is a problem with its code', async () => {
    expect(await codes(['aarch64'])).to.deep.equal([['aarch64', 'NOT_REGISTERED']]);
    await enable(['aarch64', 'arm'], options);
    expect(await checkRegistered(['aarch64', 'arm'], options)).to.deep.equal({
      ok: true,
      problems: [],
      warnings: [],
      checked: ['arm', 'aarch64'],
    });
    table.control('qemu-arm', '0');
    expect(await codes(['aarch64', 'arm'])).to.deep.equal([['arm', 'ENTRY_DISABLED']]);
    table.control('qemu-arm', '-1');
    table.register(lineFor('arm', 'qemu-arm', join(fake.dir, 'qemu-aarch64-static'), 'F'));
    expect(await codes(['arm'])).to.deep.equal([['arm', 'DIFFERS_FROM_OURS']]);
    // The distribution's: arm's own QEMU, other flags. Fine, unless other flags are asked for.
    table.control('qemu-arm', '-1');
    table.register(lineFor('arm', 'qemu-arm', join(fake.dir, 'qemu-arm-static'), 'F'));
    expect(await codes(['arm'])).to.deep.equal([]);
    expect(await codes(['arm'], { preserveArgv0: true })).to.deep.equal([['arm', 'DIFFERS_FROM_OURS']]);
    expect(await codes(['arm'], { fixBinary: true, preserveArgv0: false })).to.deep.equal([]);
  });

  it('check: the table as a whole, unmounted or switched off, is one problem', async () => {
    expect(await codes(['aarch64'], { table: new MemoryBinfmtTable({ mounted: false }) })).to.deep.equal([['*', 'NOT_MOUNTED']]);
    const off = new MemoryBinfmtTable({ enabled: false });
    await enable(['aarch64'], { ...options, table: off }).catch(() => undefined);
    expect(await codes(['aarch64'], { table: off })).to.deep.include(['*', 'SWITCHED_OFF']);
  });

  it('watch: registers, then repairs what is removed or disabled, says a failure once, and leaves the entries when stopped', async () => {
    const events: WatchEvent[] = [];
    const watcher = watch(['aarch64', 'arm'], { ...options, intervalSeconds: 0.01 }, (e) => events.push(e));
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
      expect(ok(), what).to.equal(true);
    };
    const repairs = () => events.filter((e) => e.event === 'repair').map((e) => `${e.entry} ${e.code}`);
    await until('both registered', () => repairs().length === 2);
    table.control('qemu-arm', '-1');
    table.control('qemu-aarch64', '0');
    await until('both repaired', () => repairs().length === 4);
    expect(repairs().slice(2).sort()).to.deep.equal(['qemu-aarch64 ENTRY_DISABLED', 'qemu-arm NOT_REGISTERED']);
    // Another tool's same-named entry: kept (no --force), said once however many checks pass.
    table.control('qemu-arm', '-1');
    table.register(lineFor('arm', 'qemu-arm', '/usr/bin/other'));
    await until('the failure said', () => events.some((e) => e.event === 'failure'));
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.event === 'failure').map((e) => [e.entry, e.code])).to.deep.equal([['qemu-arm', 'EXISTS_DIFFERENT']]);
    watcher.stop();
    await watcher.done;
    expect(table.list().map((e) => [e.name, e.interpreter])).to.deep.equal([
      ['qemu-aarch64', join(fake.dir, 'qemu-aarch64-static')],
      ['qemu-arm', '/usr/bin/other'],
    ]);
  });

  it('watch --platforms-file: read again on reload; a file that names nothing keeps the platforms it had', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-watch-'));
    try {
      const file = join(dir, 'platforms');
      await writeFile(file, 'aarch64 # the one we build for\n');
      const events: WatchEvent[] = [];
      const watcher = watch([], { ...options, intervalSeconds: 0.01, platformsFile: file }, (e) => events.push(e));
      const next = (kind: WatchEvent['event']) => events.filter((e) => e.event === kind).length;
      for (let i = 0; i < 2000 && !table.read('qemu-aarch64'); i++) await new Promise((r) => setTimeout(r, 5));
      await writeFile(file, 'aarch64 riscv64\n');
      watcher.reload();
      for (let i = 0; i < 2000 && !table.read('qemu-riscv64'); i++) await new Promise((r) => setTimeout(r, 5));
      expect(table.read('qemu-riscv64')?.enabled).to.equal(true);
      await writeFile(file, '# nothing\n');
      watcher.reload();
      for (let i = 0; i < 2000 && next('failure') === 0; i++) await new Promise((r) => setTimeout(r, 5));
      watcher.stop();
      await watcher.done;
      expect(events.filter((e) => e.event === 'reload').map((e) => e.did)).to.deep.equal(['watching aarch64 riscv64']);
      expect(events.filter((e) => e.event === 'failure').map((e) => [e.code, e.did])).to.deep.equal([
        ['USAGE', 'kept the platforms it had'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a reload whose platforms file fails keeps the preferences it had too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-watch-'));
    try {
      const file = join(dir, 'platforms');
      await writeFile(file, 'riscv64\n');
      const events: WatchEvent[] = [];
      // Read again, these would leave riscv64 to an emulator that is not there: ours would be removed.
      const readPreferences = () => new Map([['riscv64', ['felix86']]]);
      const watcher = watch([], { ...options, intervalSeconds: 0.01, platformsFile: file, readPreferences }, (e) => events.push(e));
      for (let i = 0; i < 2000 && !table.read('qemu-riscv64'); i++) await new Promise((r) => setTimeout(r, 5));
      await writeFile(file, '# nothing\n');
      watcher.reload();
      for (let i = 0; i < 2000 && !events.some((e) => e.event === 'failure'); i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 50));
      watcher.stop();
      await watcher.done;
      expect(events.filter((e) => e.event === 'failure').map((e) => e.did)).to.deep.equal(['kept the platforms and preferences it had']);
      expect(table.read('qemu-riscv64')?.enabled).to.equal(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
