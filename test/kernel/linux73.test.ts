import { expect } from 'chai';
import { differences } from '../../src/codec/compare.js';
import { parseEntry } from '../../src/codec/entry.js';
import { flagString, parseFlagString } from '../../src/codec/flags.js';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { restoreEntry } from '../../src/kernel/register.js';
import { disable } from '../../src/operations/disable.js';
import { enable, type EnableOptions } from '../../src/operations/enable.js';
import { explain } from '../../src/operations/explain.js';
import { status } from '../../src/operations/status.js';
import { findPlatform } from '../../src/table/platforms.js';
import { fakeInterpreterDir } from '../helpers/memory.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';

// Entry files as Linux 7.3 prints them (fs/binfmt_misc.c bm_entry_show, Documentation/admin-guide/binfmt-misc.rst).
const MAGIC = 'magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff';
const TRANSPARENT = `enabled\ninterpreter /usr/lib/loader/ld-custom\nflags: OT\noffset 0\n${MAGIC}\n`;
const LOADER = `enabled\ninterpreter /usr/lib/loader/ld-custom\nflags: FL\noffset 0\n${MAGIC}\n`;
const BPF = 'enabled\nbpf my_handler\nbpf-interpreter aarch64 /usr/bin/qemu-aarch64\nbpf-interpreter arm /usr/bin/qemu-arm\nflags: \n';

describe('Linux 7.3 binfmt_misc: flags T, L and D, type B entries, ENOSPC', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  const options = (table: MemoryBinfmtTable): EnableOptions => ({
    table,
    interpreterDir: fake.dir,
    host: { machine: 'x86_64', executables: [] },
  });

  it('parses T (which shows O too), L and a bpf entry with its bound interpreters', () => {
    const t = parseEntry('ld-t', TRANSPARENT)!;
    expect([t.flagText, t.flags.transparent, t.flags.openBinary, flagString(t.flags)]).to.deep.equal(['OT', true, true, 'OT']);
    const l = parseEntry('ld-l', LOADER)!;
    expect([l.flags.loader, l.flags.fixBinary, flagString(l.flags)]).to.deep.equal([true, true, 'FL']);
    const b = parseEntry('qemu', BPF)!;
    expect(b.bpf).to.deep.equal({
      handler: 'my_handler',
      interpreters: [
        { name: 'aarch64', path: '/usr/bin/qemu-aarch64' },
        { name: 'arm', path: '/usr/bin/qemu-arm' },
      ],
    });
    expect(b.rule).to.equal(undefined);
  });

  it('compares T and L entries with ours field by field, and refuses what the kernel refuses', () => {
    const aarch64 = findPlatform('aarch64')!;
    const ours = { name: 'qemu-aarch64', rule: aarch64.rule, interpreter: '/usr/lib/loader/ld-custom', flags: parseFlagString('')! };
    expect(differences(parseEntry('qemu-aarch64', TRANSPARENT)!, ours)).to.deep.equal(['flags OT (ours: (none))']);
    expect(differences(parseEntry('qemu-aarch64', BPF)!, ours)).to.deep.equal(['type bpf, handler my_handler (ours: magic)']);
    expect(() => formatRegisterLine({ ...ours, flags: parseFlagString('PT')! })).to.throw(
      /T \(transparent\) keeps the whole argv, so it excludes P/,
    );
    expect(() => formatRegisterLine({ ...ours, flags: parseFlagString('OL')! })).to.throw(/L \(loader substitution\)/);
  });

  it('puts back a replaced T entry with its T', () => {
    const table = new MemoryBinfmtTable({ linux73: true });
    table.register(
      `:ld-t:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00::/usr/lib/loader/ld-custom:T\n`,
    );
    const old = table.read('ld-t')!;
    table.control('ld-t', '-1');
    expect(restoreEntry(table, old)).to.equal('the previous entry was put back');
    expect(table.read('ld-t')?.flagText).to.equal('OT');
  });

  it('where the kernel takes D, enable registers disabled, reads back, then enables; QEMU never gets T or L', async () => {
    const table = new MemoryBinfmtTable({ linux73: true });
    const report = await enable(['aarch64'], options(table));
    expect(report.results[0]).to.deep.include({ outcome: 'enabled', flags: 'PF' });
    const writes = table.writes.map(([file, text]) => `${file}: ${text.trimEnd().replace(/:M:.*:/, ':M:...:')}`);
    expect(writes).to.deep.equal(['register: :qemu-aarch64:M:...:PFD', 'qemu-aarch64: 1']);
    expect(table.read('qemu-aarch64')).to.deep.include({ enabled: true, flagText: 'PF' });
  });

  it('a staged entry that fails its check is never enabled, and is removed', async () => {
    class Tampered extends MemoryBinfmtTable {
      override register(line: string): void {
        // Something else answers for the name between the write and the check: another interpreter.
        super.register(line.startsWith(':qemu-aarch64:') ? line.replace(/:[^:]*:PFD\n$/, ':/opt/other/qemu:PFD\n') : line);
      }
    }
    const table = new Tampered({ linux73: true });
    const report = await enable(['aarch64'], options(table));
    expect(report.results[0]?.outcome).to.equal('failed');
    expect(report.results[0]?.detail).to.match(/reads back differently|differs/);
    expect(table.read('qemu-aarch64')).to.equal(undefined);
    expect(table.writes.some(([file, text]) => file === 'qemu-aarch64' && text === '1')).to.equal(false);
  });

  it('elsewhere (this 6.18 kernel and older) the line with D is refused once, and enable registers as before', async () => {
    const table = new MemoryBinfmtTable();
    await enable(['aarch64'], options(table));
    expect(table.writes.map(([file]) => file)).to.deep.equal(['register', 'register']);
    expect(table.read('qemu-aarch64')).to.deep.include({ enabled: true, flagText: 'PF' });
  });

  it('ENOSPC (too many F interpreters for this user) is its own error, with the knob to raise and the count held', async () => {
    const table = new MemoryBinfmtTable({ linux73: true, maxInterpreters: 1 });
    const report = await enable(['aarch64', 'arm'], options(table));
    const failed = report.results.find((r) => r.outcome === 'failed')!;
    expect(failed.detail).to.match(
      /\(ENOSPC\): this user holds as many interpreters open with F as it may \(user\.max_binfmt_misc_interpreters = .*; this table holds 1 entries with F\)/,
    );
    expect(failed.detail).to.match(/sysctl -w user\.max_binfmt_misc_interpreters=N/);
  });

  it('a bpf entry: status lists it as programmable, explain says it cannot be predicted, disable --force never removes it', async () => {
    const table = new MemoryBinfmtTable({ linux73: true });
    table.register(':qemu-aarch64:B::::my_handler:D\n');
    table.bind('qemu-aarch64', 'aarch64', '/usr/bin/qemu-aarch64');
    table.control('qemu-aarch64', '1');
    const report = await status(['aarch64'], { table });
    expect(report.platforms[0]).to.deep.include({ registered: true, matchesTable: false });
    const removed = await disable(['aarch64'], { table, force: true });
    expect(removed.results[0]?.outcome).to.not.equal('removed');
    expect(table.read('qemu-aarch64')?.bpf?.handler).to.equal('my_handler');
    const program = join(fake.dir, 'hello-arm64');
    await writeFile(program, probeElf(findPlatform('aarch64')!, probeRecord(findPlatform('aarch64')!)!), { mode: 0o755 });
    const [explained] = await explain([program], { table, host: { machine: 'x86_64', executables: [] } });
    expect(
      explained!.reasons.some((r) =>
        r.startsWith('entry qemu-aarch64 is programmable (bpf handler my_handler): which files it claims cannot be predicted'),
      ),
    ).to.equal(true);
    table.register(':other:B::::my_handler:\n');
    const listed = await status([], { table });
    expect(listed.foreign.find((f) => f.name === 'other')).to.deep.include({ type: 'bpf' });
  });
});
