import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFakeQemu } from '../helpers/fake-qemu.js';
import { emulator, foreign, literally, ROOT } from '../helpers/paths.js';
import { hostTable, PrivateInstance } from '../helpers/private-instance.js';

const ACTION = join(ROOT, 'scripts/action.sh');
/** Kept between runs (like .cache/foreign), so that only the first run downloads Debian's emulators. */
const DEBIAN_CACHE = join(ROOT, '.cache/action');

interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What the script appended to $GITHUB_OUTPUT. */
  output: string;
}

/**
 * The Action's script as its step runs it, inside a private instance: inputs as environment
 * variables (an input left out is the action's default), GITHUB_OUTPUT a file of its own.
 */
async function runAction(instance: PrivateInstance, inputs: { platforms?: string; emulators?: string; verify?: string }, env = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-action-'));
  try {
    const outputFile = join(dir, 'output');
    const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), 'sh', ACTION], {
      reject: false,
      stdin: 'ignore',
      env: {
        QEMU_BINFMT_DIR: '',
        QEMU_BINFMT_HOST_ARCH: '',
        RUNNER_TEMP: undefined,
        GITHUB_OUTPUT: outputFile,
        INPUT_PLATFORMS: inputs.platforms,
        INPUT_EMULATORS: inputs.emulators,
        INPUT_VERIFY: inputs.verify,
        ...env,
      },
    });
    const output = existsSync(outputFile) ? await readFile(outputFile, 'utf8') : '';
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, output } satisfies ActionRun;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The interpreter an entry of the instance names. */
async function interpreterOf(instance: PrivateInstance, entry: string): Promise<string | undefined> {
  return /^interpreter (.*)$/m.exec((await instance.readEntry(entry)) ?? '')?.[1];
}

describe('the GitHub Action (action.yml runs scripts/action.sh), in private instances', function () {
  this.timeout(60_000);
  let instance: PrivateInstance | undefined;
  let hostBefore = '';
  before(async () => {
    hostBefore = await hostTable();
  });
  afterEach(async () => {
    await instance?.stop();
    instance = undefined;
  });

  it("emulators packages (the default): the runner's qemu-user-static; the output names the platforms, and an arm64 program runs", async function () {
    const busybox = foreign(this, 'busybox-arm64');
    instance = await PrivateInstance.start(this);
    const r = await runAction(instance, { platforms: 'aarch64, riscv64' });
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.output).to.equal('platforms=aarch64 riscv64\n');
    expect(r.stdout).to.equal('platforms: aarch64 riscv64');
    expect(r.stderr).to.match(new RegExp(`^qemu-aarch64: enabled: ${literally(emulator('qemu-aarch64'))} flags=PF$`, 'm'));
    expect(await instance.entryNames()).to.have.members(['qemu-aarch64', 'qemu-riscv64']);
    expect(await instance.sh(`${busybox} uname -m`)).to.include({ exitCode: 0, stdout: 'aarch64' });
  });

  it('emulators DIR: the emulators in that directory, platforms by their aliases', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-emulators-'));
    try {
      for (const name of ['qemu-aarch64-static', 'qemu-s390x-static']) await symlink(`/usr/bin/${name}`, join(dir, name));
      instance = await PrivateInstance.start(this);
      const r = await runAction(instance, { platforms: 'arm64 linux/s390x', emulators: dir, verify: 'true' });
      expect(r.exitCode, r.stderr).to.equal(0);
      // In the platform table's order.
      expect(r.output).to.equal('platforms=s390x aarch64\n');
      expect(await interpreterOf(instance, 'qemu-aarch64')).to.equal(join(dir, 'qemu-aarch64-static'));
      expect(await instance.sh(`${busybox} uname -m`)).to.include({ exitCode: 0, stdout: 'aarch64' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('verify true probes each platform through the kernel: an emulator that cannot run fails (exit 1); verify false does not probe', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-emulators-'));
    try {
      // Static, so registered with F, but nothing in it runs: its probe crashes.
      await writeFakeQemu(join(dir, 'qemu-riscv64'), 'riscv64', '9.2.0');
      instance = await PrivateInstance.start(this);
      const verified = await runAction(instance, { platforms: 'riscv64', emulators: dir });
      expect(verified.exitCode).to.equal(1);
      expect(verified.output).to.equal('platforms=\n');
      expect(verified.stderr).to.match(/^error: qemu-riscv64: registered, but its probe failed: /m);
      await instance.stop();

      instance = await PrivateInstance.start(this);
      const unverified = await runAction(instance, { platforms: 'riscv64', emulators: dir, verify: 'false' });
      expect(unverified.exitCode, unverified.stderr).to.equal(0);
      expect(unverified.output).to.equal('platforms=riscv64\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("emulators debian:trixie: that release's static QEMU from Debian's archive serves the arm64 program, and a second run reuses the download", async function () {
    this.timeout(600_000); // the first run downloads about 80 MB
    const busybox = foreign(this, 'busybox-arm64');
    const env = { QEMU_BINFMT_ACTION_CACHE: DEBIAN_CACHE };
    instance = await PrivateInstance.start(this);
    const r = await runAction(instance, { platforms: 'aarch64 riscv64', emulators: 'debian:trixie', verify: 'true' }, env);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.output).to.equal('platforms=aarch64 riscv64\n');
    const interpreter = await interpreterOf(instance, 'qemu-aarch64');
    expect(interpreter?.startsWith(`${DEBIAN_CACHE}/trixie-`), interpreter).to.equal(true);
    expect(interpreter).to.match(/\/trixie-[a-z0-9]+-[^/:]+\/usr\/bin\/qemu-aarch64$/);
    expect(await instance.sh(`${busybox} uname -m`)).to.include({ exitCode: 0, stdout: 'aarch64' });
    // QEMU_VERSION makes the emulator print its version instead: trixie's QEMU 10, not this host's.
    const version = await instance.sh(`QEMU_VERSION=1 ${busybox} uname -m`);
    expect(version.stdout).to.match(/^qemu-aarch64 version 10\.\d+\.\d+ \(Debian /);
    await instance.stop();

    instance = await PrivateInstance.start(this);
    const again = await runAction(instance, { platforms: 'aarch64', emulators: 'debian:trixie' }, env);
    expect(again.exitCode, again.stderr).to.equal(0);
    expect(again.stderr).to.not.include('fetching');
    expect(await interpreterOf(instance, 'qemu-aarch64')).to.equal(interpreter);
  });

  {
    const rows: [string, { platforms?: string; emulators?: string; verify?: string }, RegExp][] = [
      [
        'emulators neither packages, a directory nor debian:NAME',
        { emulators: 'docker' },
        /emulators: 'docker' is none of packages, an absolute directory, debian:RELEASE/,
      ],
      ['a relative directory', { emulators: 'usr/bin' }, /emulators: 'usr\/bin' is none of packages, an absolute directory/],
      ['a directory that does not exist', { emulators: '/nonexistent/qemu' }, /emulators: \/nonexistent\/qemu is not a directory/],
      ['debian: without a release', { emulators: 'debian:' }, /emulators: '' is not a Debian release name/],
      ['a release name that is a path', { emulators: 'debian:../trixie' }, /emulators: '..\/trixie' is not a Debian release name/],
      ['verify neither true nor false', { verify: 'yes' }, /verify: 'yes' is neither true nor false/],
      ['no platforms', { platforms: ' , ' }, /platforms is empty/],
      ['an option among the platforms', { platforms: 'aarch64 --force' }, /platforms: '--force' is not a platform name/],
      [
        'an unknown platform (the CLI says so)',
        { platforms: 'aarch64 vax', emulators: 'debian:trixie' },
        /^qemu-binfmt: unknown platform vax$/m,
      ],
    ];
    for (const [what, inputs, message] of rows)
      it(`bad input, ${what}: exit 2 with the reason, nothing registered, no output`, async function () {
        instance = await PrivateInstance.start(this);
        const r = await runAction(instance, { platforms: 'aarch64', ...inputs });
        expect(r.exitCode, r.stderr).to.equal(2);
        expect(r.stderr).to.match(message);
        expect(r.stderr).to.not.include('fetching');
        expect(r.output).to.equal('');
        expect(await instance.entryNames()).to.deep.equal([]);
      });
  }

  it("left the host's table as it was", async () => {
    expect(await hostTable()).to.equal(hostBefore);
  });
});
