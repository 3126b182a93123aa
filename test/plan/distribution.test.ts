import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPersisted } from '../../src/boot/persisted-registrations.js';
import { parseFlagString } from '../../src/codec/flags.js';
import { parseRegisterLine } from '../../src/codec/register-line.js';
import type { Entry } from '../../src/codec/entry.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { disable } from '../../src/operations/disable.js';
import { enable } from '../../src/operations/enable.js';
import { isDistributionEntry, ruleChanges, unusable } from '../../src/plan/distribution.js';
import type { Host } from '../../src/plan/host.js';
import { findPlatform } from '../../src/table/platforms.js';
import { hexToBytes } from '../../src/table/hex.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

const S390X = findPlatform('s390x')!;
/** Debian 12's qemu-s390x: EI_OSABI checked (mask 0xfc), through its -binfmt-P link, flags OPF. */
const debianLine = (interpreter: string) =>
  `:qemu-s390x:M::${S390X.magic.replace(/../g, '\\x$&')}:${'fffffffffffffffcfffffffffffffffffffeffff'.replace(/../g, '\\x$&')}:${interpreter}:OPF\n`;

describe("plan/distribution: the distribution's own registration of a platform", () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let dir: string;
  /** The host as a plan sees it (nothing of it captured), and as enable is told it. */
  const host: Host = { machine: 'x86_64', family: 'i386', executables: [] };
  const hostOptions = { machine: 'x86_64', executables: [] };
  before(async () => {
    fake = await fakeInterpreterDir();
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-distribution-'));
    await symlink(join(fake.dir, 'qemu-s390x-static'), join(dir, 's390x-binfmt-P'));
    await symlink(join(fake.dir, 'qemu-arm-static'), join(dir, 'wrong-binfmt-P'));
  });
  after(async () => {
    await fake.remove();
    await rm(dir, { recursive: true, force: true });
  });
  const entryOf = (line: string, enabled = true): Entry => {
    const r = parseRegisterLine(line.trimEnd())!;
    return { name: r.name, enabled, interpreter: r.interpreter, flags: r.flags, flagText: 'OPF', rule: r.rule };
  };

  it("is told by its name and its interpreter being the platform's QEMU (a link to it, or Debian's wrapper path)", () => {
    expect(isDistributionEntry(entryOf(debianLine(join(dir, 's390x-binfmt-P'))), S390X)).to.equal(true);
    expect(isDistributionEntry(entryOf(debianLine('/usr/libexec/qemu-binfmt/s390x-binfmt-P')), S390X)).to.equal(true);
    expect(isDistributionEntry(entryOf(debianLine(join(dir, 'wrong-binfmt-P'))), S390X), 'another platform’s QEMU').to.equal(false);
    expect(isDistributionEntry(entryOf(debianLine('/usr/bin/python3')), S390X)).to.equal(false);
    expect(isDistributionEntry({ ...entryOf(debianLine(join(dir, 's390x-binfmt-P'))), name: 'other' }, S390X)).to.equal(false);
  });

  it('says what each differing mask byte changes, by ELF header field', () => {
    const theirs = { offset: 0, magic: hexToBytes(S390X.magic), mask: hexToBytes('fffffffffffffffcfffffffffffffffffffeffff') };
    expect(ruleChanges(theirs, S390X.rule, 64)).to.deep.equal([
      'byte 7 (EI_OSABI): theirs also checks bits 0xfc (= 0x00), so it matches fewer files',
    ]);
    expect(ruleChanges(S390X.rule, theirs, 64)).to.deep.equal([
      'byte 7 (EI_OSABI): theirs ignores bits 0xfc that ours checks, so it matches more files',
    ]);
  });

  it("is unusable when disabled, when it takes another platform's files, or the host's own programs", () => {
    const good = entryOf(debianLine(join(dir, 's390x-binfmt-P')));
    expect(unusable(good, S390X, host)).to.equal(undefined);
    expect(unusable({ ...good, enabled: false }, S390X, host)).to.equal('it is disabled');
    const wide = { ...good, rule: { ...good.rule!, mask: hexToBytes('ffffffffffffff00ffffffffffffffffffff0000') } };
    expect(unusable(wide, S390X, host)).to.match(/its rule also matches \w+ programs/);
    const own = new Uint8Array(hexToBytes(S390X.magic));
    expect(unusable(good, S390X, { ...host, executables: [{ path: '/bin/sh', head: own }] })).to.equal(
      "its rule matches this host's own /bin/sh",
    );
  });

  it('enable keeps it (a warning with what differs), fails an unusable one, and --force replaces it saying its loader puts it back', async () => {
    const table = new MemoryBinfmtTable();
    table.register(debianLine(join(dir, 's390x-binfmt-P')));
    const options = { table, interpreterDir: fake.dir, host: hostOptions };
    const kept = await enable(['s390x'], options);
    expect([kept.ok, kept.results[0]?.outcome, kept.results[0]?.warnings.map((w) => w.code)]).to.deep.equal([
      true,
      'kept',
      ['DISTRIBUTION_KEPT'],
    ]);
    expect(table.read('qemu-s390x')?.interpreter).to.equal(join(dir, 's390x-binfmt-P'));
    table.control('qemu-s390x', '0');
    const off = await enable(['s390x'], options);
    expect([off.ok, off.results[0]?.error?.code]).to.deep.equal([false, 'DISTRIBUTION_UNUSABLE']);
    const forced = await enable(['s390x'], { ...options, force: true });
    expect([forced.ok, forced.results[0]?.outcome, forced.results[0]?.warnings.map((w) => w.code)]).to.deep.equal([
      true,
      'replaced',
      ['DISTRIBUTION_RELOADS'],
    ]);
  });

  it('disable keeps a differing one with how to switch it off, and removes one identical to ours', async () => {
    const table = new MemoryBinfmtTable();
    table.register(debianLine(join(dir, 's390x-binfmt-P')));
    table.register(lineFor('arm', 'qemu-arm', join(fake.dir, 'qemu-arm-static'), 'OPF'));
    const report = await disable(['s390x', 'arm'], { table });
    const by = new Map(report.results.map((r) => [r.entry, [r.outcome, r.warnings.map((w) => w.code)]]));
    expect(by.get('qemu-arm')).to.deep.equal(['removed', []]);
    expect(by.get('qemu-s390x')).to.deep.equal(['kept', ['DISTRIBUTION_STAYS']]);
    expect(table.list().map((e) => e.name)).to.deep.equal(['qemu-s390x']);
  });

  it("status reads the distribution's files as persistence: binfmt.d by precedence, masks, links, binfmt-support formats", async () => {
    const root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-persisted-'));
    try {
      for (const d of ['etc/binfmt.d', 'usr/lib/binfmt.d', 'usr/share/qemu/binfmt.d', 'usr/share/binfmts'])
        await mkdir(join(root, d), { recursive: true });
      await writeFile(join(root, 'usr/share/qemu/binfmt.d/qemu-s390x.conf'), debianLine('/usr/libexec/qemu-binfmt/s390x-binfmt-P'));
      await symlink('../../share/qemu/binfmt.d/qemu-s390x.conf', join(root, 'usr/lib/binfmt.d/qemu-s390x.conf'));
      await writeFile(join(root, 'usr/lib/binfmt.d/qemu-arm.conf'), lineFor('arm', 'qemu-arm', '/usr/bin/qemu-arm-static', 'F'));
      await symlink('/dev/null', join(root, 'etc/binfmt.d/qemu-arm.conf'));
      await writeFile(
        join(root, 'usr/share/binfmts/qemu-riscv64'),
        `package qemu-user-static\ninterpreter /usr/libexec/qemu-binfmt/riscv64-binfmt-P\nmagic ${findPlatform('riscv64')!.magic.replace(/../g, '\\x$&')}\noffset 0\nmask ${findPlatform('riscv64')!.mask.replace(/../g, '\\x$&')}\ncredentials no\nfix_binary yes\npreserve yes\n`,
      );
      const persisted = readPersisted(root);
      expect(persisted.get('qemu-s390x')).to.deep.include({ file: join(root, 'usr/lib/binfmt.d/qemu-s390x.conf'), by: 'distribution' });
      expect(persisted.has('qemu-arm'), 'masked in /etc/binfmt.d').to.equal(false);
      const riscv = persisted.get('qemu-riscv64');
      expect(riscv).to.deep.include({ file: join(root, 'usr/share/binfmts/qemu-riscv64'), by: 'distribution' });
      expect(riscv?.registration.flags).to.deep.equal(parseFlagString('PF'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
