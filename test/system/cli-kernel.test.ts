import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, copyFile, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONDITIONS, conditionText } from '../../src/conditions.js';
import { CLI, emulator, foreign, skipOrFail } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';

const QEMU = emulator('qemu-aarch64');
const AARCH64_MAGIC = '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
const AARCH64_MASK = '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';
const PYTHON_LINE = ':python3.11:M::\\xa7\\x0d\\x0d\\x0a::/usr/bin/python3.11:';
const NOTICE = `warning: ${conditionText(CONDITIONS.PRIVATE_TABLE())}`;

describe('CLI on the real kernel, in a private binfmt_misc instance', function () {
  this.timeout(60_000);
  let instance: PrivateInstance;
  let busybox: string;

  beforeEach(async function () {
    busybox = foreign(this, 'busybox-arm64');
    try {
      await execa(QEMU, ['--version']);
    } catch {
      skipOrFail(this, `${QEMU} is missing: apt-get install qemu-user-static`);
    }
    instance = await PrivateInstance.start(this);
  });
  afterEach(async () => {
    await instance?.stop();
  });

  it('enable aarch64 makes a real arm64 executable run; disable makes it fail with ENOEXEC', async () => {
    const enabled = await instance.cli(['enable', 'aarch64']);
    expect(enabled).to.deep.equal({ exitCode: 0, stdout: `qemu-aarch64: enabled: ${QEMU} flags=PF`, stderr: NOTICE });
    expect(await instance.readEntry('qemu-aarch64')).to.equal(
      `enabled\ninterpreter ${QEMU}\nflags: PF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff`,
    );
    expect((await instance.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');

    const disabled = await instance.cli(['disable', 'aarch64']);
    expect(disabled).to.deep.equal({ exitCode: 0, stdout: `qemu-aarch64: removed: ${QEMU}`, stderr: NOTICE });
    const run = await instance.sh(`${busybox} uname -m`);
    expect(run.exitCode).to.equal(126);
    expect(run.stderr).to.include('Exec format error');
    expect(await instance.entryNames()).to.deep.equal([]);
  });

  it('enable twice is a no-op the second time', async () => {
    await instance.cli(['enable', 'arm64']);
    const first = await instance.readEntry('qemu-aarch64');
    const again = await instance.cli(['enable', 'arm64']);
    expect(again).to.deep.equal({ exitCode: 0, stdout: `qemu-aarch64: already enabled: ${QEMU} flags=PF`, stderr: NOTICE });
    expect(await instance.readEntry('qemu-aarch64')).to.equal(first);
  });

  it("another tool's entry survives enable all and disable all, byte for byte", async () => {
    await instance.registerRaw(PYTHON_LINE);
    const before = await instance.readEntry('python3.11');
    const enabled = await instance.cli(['enable', 'all']);
    expect(enabled.exitCode).to.equal(0);
    expect(enabled.stdout).to.include('skipped (native on this host): i386 i486 x86_64');
    expect((await instance.entryNames()).length).to.be.greaterThan(25);
    expect((await instance.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');
    const disabled = await instance.cli(['disable', 'all']);
    expect(disabled.exitCode).to.equal(0);
    expect(await instance.entryNames()).to.deep.equal(['python3.11']);
    expect(await instance.readEntry('python3.11')).to.equal(before);
  });

  it("a stale entry with another platform's interpreter is reported field by field and kept; --force replaces it", async () => {
    await instance.registerRaw(`:qemu-aarch64:M::${AARCH64_MAGIC}:${AARCH64_MASK}:/usr/bin/qemu-arm-static:`);
    const stale = await instance.readEntry('qemu-aarch64');
    const kept = await instance.cli(['enable', 'aarch64']);
    expect(kept).to.deep.equal({
      exitCode: 1,
      stdout: [
        `qemu-aarch64: failed: entry qemu-aarch64 exists and differs: interpreter /usr/bin/qemu-arm-static (ours: ${QEMU}); flags (none) (ours: PF)`,
        '  hint: it was kept; add --force to replace it',
      ].join('\n'),
      stderr: `${NOTICE}\nqemu-binfmt: 1 of 1 failed`,
    });
    expect(await instance.readEntry('qemu-aarch64')).to.equal(stale);

    const replaced = await instance.cli(['enable', 'aarch64', '--force']);
    expect(replaced.exitCode).to.equal(0);
    expect(replaced.stdout).to.equal(
      `qemu-aarch64: replaced: ${QEMU} flags=PF\n  replaced: interpreter /usr/bin/qemu-arm-static (ours: ${QEMU}); flags (none) (ours: PF)`,
    );
    expect(await instance.readEntry('qemu-aarch64')).to.include(`interpreter ${QEMU}\nflags: PF`);
  });

  it('disable leaves a same-named entry that is not ours, unless --force', async () => {
    await instance.registerRaw(':qemu-aarch64:M::\\x01\\x02\\x03\\x04::/usr/bin/qemu-aarch64:');
    const kept = await instance.cli(['disable', 'aarch64']);
    expect(kept.exitCode).to.equal(0);
    expect(kept.stdout).to.match(/^qemu-aarch64: kept: \/usr\/bin\/qemu-aarch64\n/);
    expect(await instance.entryNames()).to.deep.equal(['qemu-aarch64']);
    const forced = await instance.cli(['disable', 'aarch64', '--force']);
    expect(forced.stdout).to.equal('qemu-aarch64: removed: /usr/bin/qemu-aarch64');
    expect(await instance.entryNames()).to.deep.equal([]);
  });

  it('--force keeps a same-named entry it could not put back (an extension entry)', async () => {
    await instance.registerRaw(':qemu-aarch64:E::qbtest::/usr/bin/true:');
    const r = await instance.cli(['enable', 'aarch64', '--force']);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal(
      [
        'qemu-aarch64: failed: entry qemu-aarch64 could not be put back if replacing it failed, so it was kept',
        `  hint: remove it yourself (echo -1 > ${BINFMT}/qemu-aarch64) and run enable again`,
      ].join('\n'),
    );
    expect(await instance.readEntry('qemu-aarch64')).to.include('extension .qbtest');
  });

  it('--force puts the previous entry back when the kernel refuses ours', async () => {
    await instance.registerRaw(`:qemu-aarch64:M::${AARCH64_MAGIC}:${AARCH64_MASK}:/usr/bin/qemu-aarch64:`);
    const before = await instance.readEntry('qemu-aarch64');
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-busy-'));
    const copy = join(dir, 'qemu-aarch64-static');
    await copyFile(QEMU, copy);
    await chmod(copy, 0o755);
    // Held open for writing, the file cannot be opened for execution (ETXTBSY): F fails in the kernel.
    const busy = await open(copy, 'r+');
    try {
      const r = await instance.cli(['enable', 'aarch64', '--force', '--interpreter-dir', dir]);
      expect(r.exitCode).to.equal(1);
      expect(r.stdout.split('\n')[0]).to.match(/^qemu-aarch64: failed: .*\(ETXTBSY\).*\(the previous entry was put back\)$/);
      expect(await instance.readEntry('qemu-aarch64')).to.equal(before);
    } finally {
      await busy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('one failing target does not stop the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-partial-'));
    try {
      await symlink(QEMU, join(dir, 'qemu-aarch64-static'));
      const r = await instance.cli(['enable', 'hexagon', 'aarch64', '--interpreter-dir', dir]);
      expect(r.exitCode).to.equal(1);
      expect(r.stdout.split('\n')[0]).to.equal(`qemu-aarch64: enabled: ${dir}/qemu-aarch64-static flags=PF`);
      expect(r.stdout.split('\n')[1]).to.match(/^qemu-hexagon: failed: interpreter not found/);
      expect((await instance.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("leaves a platform that another tool's entry serves to it, and warns about one that only overlaps ours", async () => {
    await instance.registerRaw(`:other-arm64:M::${AARCH64_MAGIC}:${AARCH64_MASK}:/usr/bin/true:`);
    const r = await instance.cli(['enable', 'aarch64']);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout).to.equal('qemu-aarch64: left to another emulator\n  served by other-arm64 (/usr/bin/true)');
    expect(r.stderr).to.equal(
      `${NOTICE}\nwarning: aarch64 is served by other-arm64 (/usr/bin/true), another tool's: qemu-binfmt left aarch64 to it and registered nothing; qemu-binfmt enable aarch64 --take-over registers QEMU so that it wins over other-arm64`,
    );
    // One that claims only some aarch64 files (those marked for GNU/Linux, OSABI 3) serves not the plain ones: an overlap.
    await instance.sh(`echo -1 > ${BINFMT}/other-arm64`);
    const gnuOnly = AARCH64_MAGIC.replace('\\x01\\x01\\x00', '\\x01\\x01\\x03');
    await instance.registerRaw(`:other-arm64:M::${gnuOnly}::/usr/bin/true:`);
    const overlap = await instance.cli(['enable', 'aarch64']);
    expect(overlap.exitCode).to.equal(0);
    expect(overlap.stderr).to.equal(
      `${NOTICE}\nwarning: qemu-aarch64 overlaps entry other-arm64 (/usr/bin/true): both claim some files: the entry registered last wins`,
    );
  });

  it('re-enables an identical entry that was disabled', async () => {
    await instance.cli(['enable', 'aarch64']);
    await instance.sh(`echo 0 > ${BINFMT}/qemu-aarch64`);
    const r = await instance.cli(['enable', 'aarch64']);
    expect(r.stdout).to.equal(`qemu-aarch64: enabled: ${QEMU} flags=PF\n  was disabled; enabled it`);
    expect(await instance.readEntry('qemu-aarch64')).to.match(/^enabled\n/);
  });

  it('--credentials registers C (with O), as the kernel shows it', async () => {
    const r = await instance.cli(['enable', 'aarch64', '--credentials']);
    expect(r.stdout).to.equal(`qemu-aarch64: enabled: ${QEMU} flags=POCF`);
    expect(await instance.readEntry('qemu-aarch64')).to.include('flags: POCF');
    expect((await instance.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');
  });

  it('status tells the truth about registered, foreign and native entries', async () => {
    await instance.registerRaw(PYTHON_LINE);
    await instance.cli(['enable', 'aarch64', 'riscv64']);
    const r = await instance.cli(['status', '--json']);
    expect(r.exitCode).to.equal(0);
    const { results: platforms, details: report } = JSON.parse(r.stdout);
    expect(report).to.include({ binfmtDir: BINFMT, mounted: true, kernelEnabled: true, privateNamespace: true });
    const registered = platforms.filter((p: { registered: boolean }) => p.registered).map((p: { platform: string }) => p.platform);
    expect(registered).to.deep.equal(['aarch64', 'riscv64']);
    expect(platforms.find((p: { platform: string }) => p.platform === 'aarch64')).to.include({
      interpreter: QEMU,
      interpreterPresent: true,
      interpreterStatic: true,
      flags: 'PF',
      matchesTable: true,
    });
    expect(platforms.find((p: { platform: string }) => p.platform === 'x86_64')).to.include({
      native: true,
      nativeReason: 'captures-host',
    });
    expect(report.foreign.map((f: { name: string }) => f.name)).to.deep.equal(['python3.11']);
  });

  it('the real kernel hands each real header to the right entry (interpreters that name themselves)', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-claim-'));
    try {
      const { PLATFORMS } = await import('../../src/table/platforms.js');
      for (const binary of new Set(PLATFORMS.map((p) => p.binary))) {
        await writeFile(join(dir, binary), '#!/bin/sh\necho "$(basename "$0")"\n');
        await chmod(join(dir, binary), 0o755);
      }
      // A hand-built big-endian microblaze header (ET_EXEC, EM_MICROBLAZE), for the fixed entry.
      const microblaze = Buffer.alloc(52);
      microblaze.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1, 0]);
      microblaze.writeUInt16BE(2, 16);
      microblaze.writeUInt16BE(0xbaab, 18);
      microblaze.writeUInt32BE(1, 20);
      await writeFile(join(dir, 'microblaze.elf'), microblaze, { mode: 0o755 });

      const r = await instance.cli(['enable', 'all', '--interpreter-dir', dir, '--no-preserve-argv0']);
      expect(r.exitCode, r.stdout).to.equal(0);
      const cases: Array<[string, string]> = [
        [foreign(this, 'busybox-arm64'), 'qemu-aarch64'],
        [foreign(this, 'busybox-armhf'), 'qemu-arm'],
        [foreign(this, 'busybox-s390x'), 'qemu-s390x'],
        [foreign(this, 'busybox-mipsel'), 'qemu-mipsel'],
        [foreign(this, 'mips-o32'), 'qemu-mips'],
        [foreign(this, 'mipsel-n32'), 'qemu-mipsn32el'],
        [join(dir, 'microblaze.elf'), 'qemu-microblaze'],
      ];
      for (const [file, claimedBy] of cases) expect((await instance.sh(file)).stdout, file).to.equal(claimedBy);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CLI where binfmt_misc is not mounted (fresh /proc in new namespaces)', function () {
  this.timeout(60_000);

  it('enable fails with the fix; --mount mounts a private instance, registers, and leaves it mounted', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    const node = process.execPath;
    const script = [
      // Mounts at the path before: the host's, copied into the namespace, when the host has it mounted.
      `n0=$(grep -c ' ${BINFMT} ' /proc/self/mountinfo)`,
      `${node} ${CLI} enable aarch64; echo "exit=$?"`,
      `${node} ${CLI} enable aarch64 --mount; echo "exit=$?"`,
      `echo $(( $(grep -c ' ${BINFMT} ' /proc/self/mountinfo) - n0 ))`,
      `${busybox} uname -m`,
    ].join('\n');
    const r = await execa('unshare', ['--user', '--map-root-user', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', script], {
      reject: false,
      env: { QEMU_BINFMT_DIR: '', QEMU_BINFMT_HOST_ARCH: '' },
    });
    if (r.stdout === '' && r.exitCode !== 0) skipOrFail(this, `cannot make new namespaces: ${r.stderr}`);
    expect(r.stdout.split('\n')).to.deep.equal(['exit=1', `qemu-aarch64: enabled: ${QEMU} flags=PF`, 'exit=0', '1', 'aarch64']);
    expect(r.stderr.split('\n')).to.deep.equal([
      `qemu-binfmt: binfmt_misc is not mounted at ${BINFMT} (no ${BINFMT}/register)`,
      `hint: add --mount, or run: mount -t binfmt_misc binfmt_misc ${BINFMT}`,
      `notice: mounted binfmt_misc on ${BINFMT} (it stays mounted)`,
      NOTICE,
    ]);
  });
});
