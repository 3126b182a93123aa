import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { foreign, skipOrFail, SYSTEMD_BINFMT, UPDATE_BINFMTS } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';

const PLATFORMS = ['arm', 'aarch64', 'riscv64']; // in table order, as the tools report them
const ENTRIES = PLATFORMS.map((p) => `qemu-${p}`);
const DUMMY = ':python3.11:M::\\xa7\\x0d\\x0d\\x0a::/usr/bin/python3.11:';

/** Field-by-field contents of the given entries in an instance. */
async function entries(instance: PrivateInstance, names: readonly string[]): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await instance.readEntry(n)])));
}

describe('export: boot-time formats on the real tools, in private binfmt_misc instances', function () {
  this.timeout(60_000);
  let out: string;
  let instance: PrivateInstance | undefined;
  let busybox: string;
  /** The entries enable itself makes for PLATFORMS, the reference for every format. */
  let reference: Record<string, string | undefined>;

  before(async function () {
    busybox = foreign(this, 'busybox-arm64');
    const ref = await PrivateInstance.start(this);
    try {
      expect((await ref.cli(['enable', ...PLATFORMS])).exitCode).to.equal(0);
      reference = await entries(ref, ENTRIES);
    } finally {
      await ref.stop();
    }
    for (const entry of Object.values(reference)) expect(entry).to.match(/^enabled\n/);
  });
  beforeEach(async function () {
    out = await mkdtemp(join(tmpdir(), 'qemu-binfmt-export-'));
    instance = await PrivateInstance.start(this);
  });
  afterEach(async () => {
    await instance?.stop();
    await rm(out, { recursive: true, force: true });
  });

  it('binfmt.d: files loaded by the real systemd-binfmt make the entries enable makes', async function () {
    if (!SYSTEMD_BINFMT) skipOrFail(this, 'systemd-binfmt is missing: apt-get install systemd');
    const r = await runCli(['export', '--format', 'binfmt.d', '--output', out, ...PLATFORMS]);
    expect(r.exitCode).to.equal(0);
    const files = ENTRIES.map((e) => join(out, `${e}.conf`));
    expect(r.stdout.split('\n').sort()).to.deep.equal(files.map((f) => `wrote ${f}`).sort());
    expect(await readFile(files[0]!, 'utf8')).to.match(
      /^# Written by qemu-binfmt .*\n# Regenerate with: qemu-binfmt export --format binfmt.d --output /,
    );
    const loaded = await instance!.sh(`${SYSTEMD_BINFMT} ${files.join(' ')}`);
    expect(loaded.exitCode, loaded.stderr).to.equal(0);
    expect(await entries(instance!, ENTRIES)).to.deep.equal(reference);
    expect((await instance!.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');
  });

  it('binfmt-support: files imported by the real update-binfmts make the entries enable makes', async function () {
    if (!existsSync(UPDATE_BINFMTS)) skipOrFail(this, `${UPDATE_BINFMTS} is missing: run scripts/setup.sh`);
    const r = await runCli(['export', '--format', 'binfmt-support', '--output', join(out, 'import'), ...PLATFORMS]);
    expect(r.exitCode).to.equal(0);
    const admin = join(out, 'admin');
    const imported = await instance!.sh(
      `mkdir ${admin} && for e in ${ENTRIES.join(' ')}; do ${UPDATE_BINFMTS} --admindir ${admin} --importdir ${out}/import --import $e || exit 1; done`,
    );
    expect(imported.exitCode, imported.stderr).to.equal(0);
    expect(await entries(instance!, ENTRIES)).to.deep.equal(reference);
    expect((await instance!.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');
  });

  for (const shell of ['dash', 'busybox sh']) {
    it(`sh: the script registers under ${shell}, is idempotent, replaces a differing entry, and stop removes only its own`, async function () {
      const r = await runCli(['export', '--format', 'sh', '--output', out, ...PLATFORMS]);
      expect(r.exitCode).to.equal(0);
      const script = join(out, 'qemu-binfmt.sh');
      expect((await stat(script)).mode & 0o777).to.equal(0o755);
      await instance!.registerRaw(DUMMY);
      // A stale entry of the same name with another interpreter: replaced, since it differs.
      await instance!.registerRaw(':qemu-arm:M::\\x7fELF\\x01\\x01\\x01:\\xff\\xff\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-arm:');
      const dummy = await instance!.readEntry('python3.11');

      const first = await instance!.sh(`${shell} ${script}`);
      expect(first).to.deep.include({ exitCode: 0, stdout: ENTRIES.map((e) => `${e}: enabled`).join('\n') });
      expect(await entries(instance!, ENTRIES)).to.deep.equal(reference);
      expect((await instance!.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');

      const again = await instance!.sh(`${shell} ${script} start`);
      expect(again).to.deep.include({ exitCode: 0, stdout: ENTRIES.map((e) => `${e}: already enabled`).join('\n') });

      const stop = await instance!.sh(`${shell} ${script} stop`);
      expect(stop).to.deep.include({ exitCode: 0, stdout: ENTRIES.map((e) => `${e}: removed`).join('\n') });
      expect(await instance!.entryNames()).to.deep.equal(['python3.11']);
      expect(await instance!.readEntry('python3.11')).to.equal(dummy);
    });
  }

  it('sh: start runs two programs besides the shell, the host self-test and cat to read back (strace), and fails an entry that does not read back', async function () {
    if (!existsSync('/usr/bin/strace')) skipOrFail(this, 'strace is missing');
    const r = await runCli(['export', '--format', 'sh', '--output', out, ...PLATFORMS]);
    expect(r.exitCode).to.equal(0);
    const script = join(out, 'qemu-binfmt.sh');
    const traced = await instance!.sh(
      `strace -f -qq -e trace=execve -o ${out}/trace dash ${script} >/dev/null && grep -o 'execve("[^"]*"' ${out}/trace`,
    );
    expect(traced.stdout.split('\n'), 'programs started').to.deep.equal([
      'execve("/usr/bin/dash"',
      'execve("/bin/sh"',
      'execve("/usr/bin/cat"',
    ]);
    // A plain directory takes the lines but shows no entry: every one fails its read-back.
    const plain = join(out, 'plain');
    const run = await instance!.sh(`mkdir ${plain} && : > ${plain}/register && QEMU_BINFMT_DIR=${plain} dash ${script}`);
    expect(run.exitCode).to.equal(1);
    expect(run.stderr.split('\n')).to.deep.equal(ENTRIES.map((e) => `${e}: registered, but it reads back differently`));
  });

  it("sh: an entry that captures the host's own programs is found by the self-test and removed; the others stay", async function () {
    const r = await runCli(['export', '--format', 'sh', '--output', out, 'aarch64']);
    expect(r.exitCode).to.equal(0);
    const script = join(out, 'qemu-binfmt.sh');
    // An extra registration in the script's list whose rule claims every 64-bit little-endian ELF,
    // this host's x86_64 programs included, handed to an emulator of another machine.
    const capture = ':capture:M::\\x7fELF\\x02\\x01\\x01::/usr/bin/qemu-aarch64-static:F';
    const text = (await readFile(script, 'utf8')).replace(/^each\(\) \{\n/m, `each() {\n\t"$1" capture '${capture}' 'unused'\n`);
    await writeFile(script, text);
    const before = await instance!.entryNames();
    const run = await instance!.sh(`dash ${script}`);
    expect([run.exitCode, run.stderr]).to.deep.equal([
      1,
      "capture: registering it made this host's own programs fail (/bin/sh -c true): it was removed again; check its magic, mask and interpreter",
    ]);
    expect(run.stdout).to.equal('qemu-aarch64: enabled');
    expect(await instance!.entryNames()).to.deep.equal([...new Set([...before, 'qemu-aarch64'])].sort());
    expect((await instance!.sh('/bin/true')).exitCode).to.equal(0);
    await instance!.sh(`dash ${script} stop`);
  });

  it('unshare: each --load-interp value, as util-linux >= 2.41 writes it to register, makes the entry enable makes', async () => {
    const r = await runCli(['export', '--format', 'unshare', 'aarch64', 's390x']);
    expect(r.exitCode).to.equal(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('unshare '));
    expect(lines).to.have.length(2);
    // unshare 2.41 writes the option's value to the new instance's register file; the shell parses the quoting.
    const fake = `unshare() { for a; do case $a in --load-interp=*) printf '%s' "\${a#--load-interp=}" > ${BINFMT}/register ;; esac; done; }`;
    await instance!.removeEntries('qemu-*');
    await instance!.sh(`${fake}; ${lines.join('; ')}`);
    const exported = await instance!.snapshot();
    await instance!.removeEntries('qemu-*');
    expect((await instance!.cli(['enable', 'aarch64', 's390x'])).exitCode).to.equal(0);
    expect(await instance!.snapshot()).to.equal(exported);
    expect(exported).to.match(/== qemu-aarch64\nenabled/);
    await instance!.removeEntries('qemu-*');
  });

  it('sh: exits non-zero when the kernel refuses a line (F with a vanished interpreter)', async function () {
    const bin = join(out, 'bin');
    await instance!.sh(`mkdir ${bin} && cp /usr/bin/qemu-riscv64-static /usr/bin/qemu-aarch64-static ${bin}/`);
    const r = await runCli(['export', '--format', 'sh', '--output', out, '--interpreter-dir', bin, 'riscv64', 'aarch64']);
    expect(r.exitCode).to.equal(0);
    await rm(join(bin, 'qemu-riscv64-static'));
    const run = await instance!.sh(`dash ${join(out, 'qemu-binfmt.sh')}`);
    expect(run.exitCode).to.equal(1);
    expect(run.stdout).to.equal('qemu-aarch64: enabled');
    expect(run.stderr.split('\n')).to.include('qemu-riscv64: the kernel refused the line');
    expect(await instance!.entryNames()).to.deep.equal(['qemu-aarch64']);
  });

  it('systemd-unit: passes systemd-analyze verify, and runs enable / disable of the same platforms', async function () {
    const r = await runCli(['export', '--format', 'systemd-unit', '--output', out, '--no-preserve-argv0', ...PLATFORMS]);
    expect(r.exitCode).to.equal(0);
    const unit = join(out, 'qemu-binfmt.service');
    const verify = await instance!.sh(`systemd-analyze verify ${unit}`);
    if (verify.exitCode === 127) skipOrFail(this, 'systemd-analyze is missing: apt-get install systemd');
    expect(verify.exitCode, verify.stderr).to.equal(0);
    expect(verify.stderr).to.not.include('qemu-binfmt.service');
    const text = await readFile(unit, 'utf8');
    for (const line of ['Type=oneshot', 'RemainAfterExit=yes', 'After=systemd-binfmt.service binfmt-support.service'])
      expect(text).to.include(line);
    const start = /^ExecStart=(.*)$/m.exec(text)![1]!;
    const stop = /^ExecStop=(.*)$/m.exec(text)![1]!;
    expect(start).to.match(/ enable --mount --force --no-preserve-argv0 arm aarch64 riscv64$/);
    expect(stop).to.match(/ disable arm aarch64 riscv64$/);
    // What systemd would run, run here: the same entries as enable (without P, as asked).
    expect((await instance!.sh(start)).exitCode).to.equal(0);
    expect(await instance!.readEntry('qemu-aarch64')).to.include('flags: F\n');
    expect((await instance!.sh(stop)).exitCode).to.equal(0);
    expect(await instance!.entryNames()).to.deep.equal([]);
  });

  it('openrc: start and stop, run as openrc-run would, register and remove the same platforms', async () => {
    const r = await runCli(['export', '--format', 'openrc', '--output', out, ...PLATFORMS]);
    expect(r.exitCode).to.equal(0);
    const script = join(out, 'qemu-binfmt');
    expect((await readFile(script, 'utf8')).split('\n')[0]).to.equal('#!/sbin/openrc-run');
    const stubs = 'ebegin() { :; }; eend() { return "$1"; }';
    const start = await instance!.sh(`${stubs}; . ${script} && start`);
    expect(start.exitCode, start.stderr).to.equal(0);
    expect(await entries(instance!, ENTRIES)).to.deep.equal(reference);
    const stop = await instance!.sh(`${stubs}; . ${script} && stop`);
    expect(stop.exitCode, stop.stderr).to.equal(0);
    expect(await instance!.entryNames()).to.deep.equal([]);
  });

  it('uses the same validation as enable: bad input exits 2 and writes nothing', async () => {
    const r = await runCli(['export', '--format', 'sh', '--output', out, 'aarch46']);
    expect(r.exitCode).to.equal(2);
    expect(r.stderr).to.match(/^qemu-binfmt: unknown platform aarch46 \(aarch46: did you mean aarch64\?\)/);
    expect(existsSync(join(out, 'qemu-binfmt.sh'))).to.equal(false);
  });
});
