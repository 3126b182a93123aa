import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineFor } from '../helpers/memory.js';
import { foreign, QEMU_10, ROOT, skipOrFail, SYSTEMD_BINFMT } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/** Debian 12's QEMU 7.2: ours in these tests, so that the version tells which emulator ran a program. */
const QEMU_7 = '/usr/bin';

/**
 * Other emulators' entries, as Rosetta, FEX and box64 register them (their names and flags), but
 * with a foreign platform's magic and mask (their x86_64 rules would take this host's own
 * programs) and Debian 13's QEMU 10 as their interpreter. Which emulator ran a program is told
 * by running it with QEMU_VERSION=1: the serving QEMU prints its version and exits.
 */
const OTHERS = [
  { name: 'rosetta', platform: 'riscv64', flags: 'CF' },
  { name: 'FEX-x86_64', platform: 's390x', flags: 'POCF' },
  { name: 'x86_64', platform: 'ppc64le', flags: '' },
] as const;

/** The register line of another emulator's entry. */
const lineOf = (o: (typeof OTHERS)[number]) => lineFor(o.platform, o.name, join(QEMU_10, `qemu-${o.platform}`), o.flags).trimEnd();
const ROSETTA = OTHERS[0];

interface Json {
  ok: boolean;
  results: Array<{ platform: string; outcome?: string; servedBy?: { entry: string; ours: boolean } | null }>;
  warnings: Array<{ code: string; platform?: string; problem: string }>;
}

describe("other emulators' entries: left alone by default, taken over when asked, served-by told", function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let others = '';
  const programs: Record<string, string> = {};

  before(async function () {
    if (!existsSync(join(QEMU_10, 'qemu-riscv64'))) skipOrFail(this, `${QEMU_10} is missing: run scripts/setup.sh`);
    // Static programs of each platform: the deep probes, and busybox for s390x.
    programs.riscv64 = join(ROOT, 'platforms/deep/riscv64');
    programs.ppc64le = join(ROOT, 'platforms/deep/ppc64le');
    programs.s390x = foreign(this, 'busybox-s390x');
    instance = await PrivateInstance.start(this);
    await registerOthersAnew();
    others = await snapshot();
  });
  after(() => instance?.stop());

  /** Every entry removed, then the other emulators' registered again, as before the tests. */
  const registerOthersAnew = async () => {
    await instance.removeEntries();
    for (const o of OTHERS) await instance.registerRaw(lineOf(o));
  };
  const snapshot = async () => (await Promise.all(OTHERS.map(async (o) => `${o.name}:\n${await instance.readEntry(o.name)}`))).join('\n');
  const json = async (args: string[]) => {
    const r = await instance.cli([...args, '--json']);
    return { exitCode: r.exitCode, out: JSON.parse(r.stdout) as Json };
  };
  /** The QEMU release that serves the platform's programs now, as the program run with QEMU_VERSION=1 says. */
  const servingVersion = async (platform: string) => {
    const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), 'env', 'QEMU_VERSION=1', programs[platform]!], {
      reject: false,
    });
    return /version (\d+)\./.exec(r.stdout)?.[1];
  };
  const servedBy = async () =>
    Object.fromEntries(
      (await json(['status', ...OTHERS.map((o) => o.platform), 'aarch64'])).out.results.map((r) => [r.platform, r.servedBy?.entry ?? null]),
    );

  it('enable yields where another emulator serves the platform: a warning naming it, exit 0, nothing of ours', async () => {
    const { exitCode, out } = await json(['enable', 'riscv64', 's390x', 'ppc64le', 'aarch64', '--interpreter-dir', QEMU_7]);
    expect(exitCode).to.equal(0);
    expect(out.results.map((r) => [r.platform, r.outcome])).to.have.deep.members([
      ['s390x', 'yielded'],
      ['aarch64', 'enabled'],
      ['riscv64', 'yielded'],
      ['ppc64le', 'yielded'],
    ]);
    expect(out.warnings.filter((w) => w.code === 'SERVED_BY_OTHER').map((w) => w.platform)).to.have.members([
      'riscv64',
      's390x',
      'ppc64le',
    ]);
    expect(await instance.entryNames()).to.have.members([...OTHERS.map((o) => o.name), 'qemu-aarch64']);
    expect(await servedBy()).to.deep.equal({ riscv64: 'rosetta', s390x: 'FEX-x86_64', ppc64le: 'x86_64', aarch64: 'qemu-aarch64' });
    for (const platform of ['riscv64', 's390x', 'ppc64le']) expect(await servingVersion(platform), platform).to.equal('10');
    // The health check agrees: a platform left to another emulator is fine (the DaemonSet stays Ready).
    const checked = await json(['status', '--check', 'riscv64', 'aarch64', '--interpreter-dir', QEMU_7]);
    expect([checked.exitCode, checked.out.warnings.filter((w) => w.code === 'SERVED_BY_OTHER').map((w) => w.platform)]).to.deep.equal([
      0,
      ['riscv64'],
    ]);
    // enable all too, and the text says so.
    const all = await instance.cli(['enable', 'all', '--interpreter-dir', QEMU_7]);
    expect(all.exitCode).to.equal(0);
    expect(all.stdout).to.match(/^qemu-riscv64: left to another emulator$/m);
    expect(all.stderr).to.include('riscv64 is served by rosetta');
    expect(await instance.entryNames()).not.to.include('qemu-riscv64');
  });

  it('--take-over registers ours so that it wins, saying which entry it shadows; status tells by executing a header', async () => {
    const { exitCode, out } = await json(['enable', 'riscv64', '--take-over', '--interpreter-dir', QEMU_7]);
    expect(exitCode).to.equal(0);
    expect(out.results.map((r) => r.outcome)).to.deep.equal(['enabled']);
    expect(out.warnings.map((w) => w.code)).to.include('SHADOWS');
    expect((await servedBy()).riscv64).to.equal('qemu-riscv64');
    expect(await servingVersion('riscv64')).to.equal('7');
    const text = await instance.cli(['status', 'riscv64', 'ppc64le']);
    expect(text.stdout).to.match(/served by x86_64 \(/);
  });

  it('disable removes only ours: the other emulator serves again, its entry byte for byte as it was', async () => {
    expect((await instance.cli(['disable', 'all'])).exitCode).to.equal(0);
    expect(await snapshot()).to.equal(others);
    expect(await instance.entryNames()).to.have.members(OTHERS.map((o) => o.name));
    expect((await servedBy()).riscv64).to.equal('rosetta');
    expect(await servingVersion('riscv64')).to.equal('10');
  });

  it('persist leaves a served platform out of its files as well (a private /etc)', async function () {
    const tmpfs = await instance.sh('mount -t tmpfs tmpfs /etc');
    if (tmpfs.exitCode !== 0) skipOrFail(this, `cannot mount a private /etc: ${tmpfs.stderr}`);
    const env = { NODE_EXTRA_CA_CERTS: '' };
    const r = await instance.cli(['persist', 'riscv64', 'aarch64', '--interpreter-dir', QEMU_7], env);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.stdout.split('\n')[0]).to.equal('wrote /etc/binfmt.d/qemu-aarch64.conf');
    expect(r.stderr).to.include('riscv64 is served by rosetta');
    expect((await instance.sh('ls /etc/binfmt.d')).stdout).to.equal('qemu-aarch64.conf');
    expect(await instance.entryNames()).to.have.members([...OTHERS.map((o) => o.name), 'qemu-aarch64']);
    expect((await instance.cli(['unpersist'], env)).exitCode).to.equal(0);
    // A preference for ours puts it in the files, and registers it over rosetta.
    await instance.sh(`mkdir -p /etc/qemu-binfmt && echo 'riscv64: qemu, rosetta' > /etc/qemu-binfmt/preferences`);
    const preferred = await instance.cli(['persist', 'riscv64', '--interpreter-dir', QEMU_7], env);
    expect(preferred.stdout.split('\n')[0], 'named to load after rosetta.conf').to.equal('wrote /etc/binfmt.d/zz-qemu-riscv64.conf');
    expect(await servingVersion('riscv64')).to.equal('7');
    expect((await instance.cli(['unpersist'], env)).exitCode).to.equal(0);
    await instance.sh('rm -r /etc/qemu-binfmt');
    expect(await snapshot()).to.equal(others);
  });

  it('doctor names the caveats of the emulators present', async () => {
    const r = await instance.cli(['doctor', '--json']);
    const caveats = (JSON.parse(r.stdout) as Json).warnings.filter((w) => w.code === 'EMULATOR_CAVEAT').map((w) => w.problem);
    expect(caveats.some((c) => c.startsWith("rosetta is Apple Rosetta's: registered with F"))).to.equal(true);
    expect(caveats.filter((c) => c.startsWith("FEX-x86_64 is FEX-Emu's"))).to.have.length(2);
    expect(caveats.some((c) => c.startsWith("x86_64 is box64's: registered without F"))).to.equal(true);
  });

  it('a preference kept by watch: ours while the preferred entry is missing or disabled, removed when it returns, across a flush', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-prefs-'));
    const prefs = join(dir, 'preferences');
    await writeFile(prefs, '# rosetta when it is there, else QEMU\nriscv64: rosetta, qemu\n');
    const watch = instance.cliInBackground([
      'watch',
      'riscv64',
      '--preferences',
      prefs,
      '--interpreter-dir',
      QEMU_7,
      '--interval',
      '0.2',
      '--json',
    ]);
    const ours = async () => (await instance.entryNames()).includes('qemu-riscv64');
    const until = async (what: string, wanted: boolean) => {
      for (let i = 0; i < 100 && (await ours()) !== wanted; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await ours(), what).to.equal(wanted);
    };
    try {
      await new Promise((r) => setTimeout(r, 600));
      await until('rosetta is there: nothing of ours', false);
      await instance.sh('echo 0 > /proc/sys/fs/binfmt_misc/rosetta');
      await until('rosetta disabled: ours registered', true);
      expect(await servingVersion('riscv64')).to.equal('7');
      await instance.sh('echo 1 > /proc/sys/fs/binfmt_misc/rosetta');
      await until('rosetta enabled again: ours removed', false);
      expect(await servingVersion('riscv64')).to.equal('10');
      // A flush (every entry removed, as systemd-binfmt does), then rosetta's own tool registers it again.
      await instance.removeEntries();
      await until('after the flush: ours', true);
      await instance.registerRaw(lineOf(ROSETTA));
      await until('rosetta back: ours removed', false);
    } finally {
      watch.kill('SIGTERM');
      await watch;
      await rm(dir, { recursive: true, force: true });
      await registerOthersAnew();
    }
    const events = watch.stdout ? String((await watch).stdout) : '';
    expect(events).to.include('"did":"removed ours"');
  });
  /** A temporary directory, and the preferences file in it (when given lines). */
  const scratch = async (preferences?: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-boot-'));
    if (preferences !== undefined) await writeFile(join(dir, 'preferences'), preferences);
    return dir;
  };
  const exportTo = (dir: string, format: string, args: readonly string[]) =>
    instance.cli(['export', '--format', format, '--output', dir, '--interpreter-dir', QEMU_7, ...args], { NODE_EXTRA_CA_CERTS: '' });

  it('the sh export follows the preferences at each run: ours only while the preferred entry is disabled', async () => {
    const dir = await scratch('riscv64: rosetta, qemu\n');
    try {
      const exported = await exportTo(dir, 'sh', ['riscv64', '--preferences', join(dir, 'preferences')]);
      expect(exported.exitCode, exported.stderr).to.equal(0);
      const run = () => instance.sh(`sh ${join(dir, 'qemu-binfmt.sh')} start`);
      const left = await run();
      expect([left.exitCode, left.stdout]).to.deep.equal([0, 'qemu-riscv64: left to rosetta, which the preferences put first']);
      expect(await instance.entryNames()).not.to.include('qemu-riscv64');
      await instance.sh('echo 0 > /proc/sys/fs/binfmt_misc/rosetta');
      expect((await run()).stdout).to.equal('qemu-riscv64: enabled');
      expect(await servingVersion('riscv64')).to.equal('7');
      // Ours as an earlier run with other flags left it: the same rule, so it steps aside too.
      await instance.removeEntries('qemu-riscv64');
      await instance.registerRaw(lineFor('riscv64', 'qemu-riscv64', join(QEMU_7, 'qemu-riscv64'), 'P').trimEnd());
      await instance.sh('echo 1 > /proc/sys/fs/binfmt_misc/rosetta');
      expect((await run()).stdout).to.equal('qemu-riscv64: left to rosetta, which the preferences put first');
      expect(await instance.entryNames(), 'ours stepped aside').not.to.include('qemu-riscv64');
      expect(await servingVersion('riscv64')).to.equal('10');
      expect(await snapshot()).to.equal(others);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the systemd unit (and OpenRC script) runs enable at boot with --take-over or the preferences it was written with', async () => {
    const dir = await scratch('riscv64: rosetta, qemu\n');
    const execOf = async (file: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(await readFile(join(dir, file), 'utf8'))![1]!;
    try {
      expect((await exportTo(dir, 'systemd-unit', ['riscv64', '--take-over'])).exitCode).to.equal(0);
      const start = await execOf('qemu-binfmt.service', 'ExecStart');
      expect(start).to.match(/ enable --mount --force --interpreter-dir \S+ --take-over riscv64$/);
      const taken = await instance.sh(start);
      expect(taken.exitCode, taken.stderr).to.equal(0);
      expect(taken.stderr).to.include('takes these programs from rosetta');
      expect(await servingVersion('riscv64')).to.equal('7');
      expect((await instance.sh(await execOf('qemu-binfmt.service', 'ExecStop'))).exitCode).to.equal(0);
      // The preferences: the platform stays in the unit, and enable decides at boot (rosetta is there: left to it).
      expect((await exportTo(dir, 'openrc', ['riscv64', '--preferences', join(dir, 'preferences')])).exitCode).to.equal(0);
      const openrc = await readFile(join(dir, 'qemu-binfmt'), 'utf8');
      const line = /^\t(\S+ \S+ enable .*)$/m.exec(openrc)![1]!;
      expect(line).to.include(` --preferences ${join(dir, 'preferences')} riscv64`);
      const yielded = await instance.sh(line);
      expect([yielded.exitCode, yielded.stdout.split('\n')[0]]).to.deep.equal([0, 'qemu-riscv64: left to another emulator']);
      expect(await snapshot()).to.equal(others);
      expect(await instance.entryNames()).to.have.members(OTHERS.map((o) => o.name));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('status --check agrees with enable where the preferences name no registered emulator and not qemu: a warning', async () => {
    const dir = await scratch('riscv64: felix86\n');
    try {
      const enabled = await json(['enable', 'riscv64', '--preferences', join(dir, 'preferences'), '--interpreter-dir', QEMU_7]);
      expect([enabled.exitCode, enabled.out.results[0]?.outcome]).to.deep.equal([0, 'yielded']);
      const checked = await json(['status', '--check', 'riscv64', '--preferences', join(dir, 'preferences'), '--interpreter-dir', QEMU_7]);
      expect([checked.exitCode, checked.out.warnings.map((w) => w.code)]).to.deep.equal([0, ['NO_PREFERRED']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Last: systemd-binfmt flushes the whole table before it loads the files.
  it('binfmt.d: a served platform is left out, ours named to load last where it must win, and the real systemd-binfmt agrees', async function () {
    if (!SYSTEMD_BINFMT) skipOrFail(this, 'systemd-binfmt is missing: apt-get install systemd');
    const usual = await scratch();
    const last = await scratch();
    try {
      const left = await exportTo(usual, 'binfmt.d', ['riscv64', 'aarch64']);
      expect(left.stderr, left.stdout).to.include('riscv64 is served by rosetta');
      expect(await readdir(usual)).to.deep.equal(['qemu-aarch64.conf']);
      expect((await exportTo(usual, 'binfmt-support', ['riscv64'])).exitCode, 'nothing left to write').to.equal(0);
      expect(await readdir(usual)).to.deep.equal(['qemu-aarch64.conf']);
      expect((await exportTo(last, 'binfmt.d', ['riscv64', '--take-over'])).exitCode).to.equal(0);
      expect(await readdir(last)).to.deep.equal(['zz-qemu-riscv64.conf']);
      // Without the order, ours (the usual name) would load before rosetta.conf, and rosetta would win.
      await writeFile(join(usual, 'qemu-riscv64.conf'), await readFile(join(last, 'zz-qemu-riscv64.conf')));
      for (const [files, serving] of [
        [usual, '10'],
        [last, '7'],
      ] as const) {
        const booted = await instance.sh(
          `mount -t tmpfs tmpfs /etc && mkdir /etc/binfmt.d && cp ${files}/*.conf /etc/binfmt.d && printf '%s\\n' '${lineOf(ROSETTA)}' > /etc/binfmt.d/rosetta.conf && ${SYSTEMD_BINFMT}`,
        );
        expect(booted.exitCode, booted.stderr).to.equal(0);
        expect(await servingVersion('riscv64'), files).to.equal(serving);
        // Ours, not Debian's file of the same entry from /usr/lib/binfmt.d (loaded first, then replaced).
        expect(await instance.readEntry('qemu-riscv64')).to.include(`interpreter ${QEMU_7}/qemu-riscv64`);
        await instance.sh('umount /etc');
      }
    } finally {
      await rm(usual, { recursive: true, force: true });
      await rm(last, { recursive: true, force: true });
      await registerOthersAnew();
    }
    expect(await snapshot()).to.equal(others);
  });
});
