import { expect } from 'chai';
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runtimeClosure } from '../../src/elf/closure.js';
import { emulator, foreign, literally, skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

const DYNAMIC_QEMU = '/usr/bin/qemu-aarch64'; // Debian's qemu-user: dynamically linked
/** A path as extra-sandbox-paths names it: a link as link=real-file, which Nix binds. */
const sandboxPath = (path: string) => (realpathSync(path) === path ? path : `${path}=${realpathSync(path)}`);

describe('build chroots and daemon sandboxes, in private binfmt_misc instances', function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  /** Empty until this test's setup made it, so that cleanup after a skipped or failed setup removes nothing. */
  let work = '';
  let busybox: string;

  beforeEach(async function () {
    work = '';
    busybox = foreign(this, 'busybox-arm64');
    instance = await PrivateInstance.start(this);
    work = await mkdtemp(join(tmpdir(), 'qemu-binfmt-sandbox-'));
  });
  afterEach(async () => {
    await instance?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const mounts = async (dir: string) => (await instance.sh(`grep -c ' ${dir}/' /proc/self/mountinfo`)).stdout;

  for (const [kind, interpreter] of [
    ['static', '/usr/bin/qemu-aarch64-static'],
    ['dynamic', DYNAMIC_QEMU],
  ] as const) {
    it(`--chroot binds a ${kind} interpreter (and its libraries) so a chroot without F runs foreign code; disable --chroot removes exactly those mounts`, async function () {
      if (!existsSync(interpreter)) skipOrFail(this, `${interpreter} is missing`);
      const root = join(work, 'root');
      await mkdir(root);
      await copyFile(busybox, join(root, 'busybox'));
      await instance.cli(['enable', 'aarch64', '--no-fix-binary', '--interpreter', interpreter]);
      const before = await instance.sh(`chroot ${root} /busybox uname -m`);
      expect(before.exitCode).to.equal(127);
      expect(before.stderr).to.include('No such file or directory');

      const bound = await instance.cli(['enable', 'aarch64', '--no-fix-binary', '--interpreter', interpreter, '--chroot', root]);
      expect(bound.exitCode, bound.stderr).to.equal(0);
      const files = runtimeClosure(interpreter);
      expect(bound.stdout.split('\n')[1]).to.equal(`${root}: aarch64: bound ${files.join(' ')}`);
      expect((await instance.sh(`chroot ${root} /busybox uname -m`)).stdout).to.equal('aarch64');
      expect(await mounts(root)).to.equal(String(files.length));

      const again = await instance.cli(['enable', 'aarch64', '--no-fix-binary', '--interpreter', interpreter, '--chroot', root]);
      expect(again.stdout.split('\n')[1]).to.equal(`${root}: aarch64: already bound`);
      expect(await mounts(root)).to.equal(String(files.length));

      const unbound = await instance.cli(['disable', 'aarch64', '--chroot', root]);
      expect(unbound.exitCode).to.equal(0);
      expect(await mounts(root)).to.equal('0');
      expect((await instance.sh(`chroot ${root} /busybox uname -m`)).exitCode).to.not.equal(0);
    });
  }

  it('--chroot stays inside a chroot with symbolic links (merged /usr, an absolute link) and keeps what other platforms need', async function () {
    if (!existsSync(DYNAMIC_QEMU) || !existsSync('/usr/bin/qemu-arm')) skipOrFail(this, 'qemu-user is missing');
    const root = join(work, 'merged');
    const outside = join(work, 'outside');
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await mkdir(outside);
    await symlink('usr/lib', join(root, 'lib'));
    await symlink(outside, join(root, 'lib64')); // absolute: inside the chroot it means <root>/<outside>
    await copyFile(busybox, join(root, 'busybox'));
    await copyFile(foreign(this, 'busybox-armhf'), join(root, 'busybox-armhf'));
    const enable = (p: string, q: string) => instance.cli(['enable', p, '--no-fix-binary', '--interpreter', q, '--chroot', root]);
    expect((await enable('aarch64', DYNAMIC_QEMU)).exitCode).to.equal(0);
    expect((await enable('arm', '/usr/bin/qemu-arm')).exitCode).to.equal(0);
    expect((await enable('aarch64', DYNAMIC_QEMU)).stdout.split('\n')[1]).to.equal(`${root}: aarch64: already bound`);
    expect((await instance.sh(`chroot ${root} /busybox uname -m`)).stdout).to.equal('aarch64');
    expect((await instance.sh(`chroot ${root} /busybox-armhf uname -m`)).stdout).to.equal('armv7l');
    // Sharing libc with aarch64, arm's removal leaves aarch64 working.
    expect((await instance.cli(['disable', 'arm', '--chroot', root])).exitCode).to.equal(0);
    expect((await instance.sh(`chroot ${root} /busybox uname -m`)).stdout).to.equal('aarch64');
    expect((await instance.cli(['disable', 'aarch64', '--chroot', root])).exitCode).to.equal(0);
    expect(await mounts(root)).to.equal('0');
    expect(await readdir(outside)).to.deep.equal([]);
  });

  it('--chroot refuses / and what is not a directory, before writing anything', async () => {
    for (const [dir, message] of [
      ['/', 'qemu-binfmt: --chroot / would bind the interpreter onto itself'],
      [join(work, 'nothing'), `qemu-binfmt: --chroot ${join(work, 'nothing')} does not exist`],
    ]) {
      const r = await instance.cli(['enable', 'aarch64', '--chroot', dir!]);
      expect(r.exitCode).to.equal(2);
      expect(r.stderr.split('\n')[0]).to.equal(message);
    }
    expect(await instance.entryNames()).to.deep.equal([]);
  });

  describe('real Nix (nix-build, sandbox = true, a private NIX_CONF_DIR and store)', () => {
    let nix: Record<string, string>;

    beforeEach(async function () {
      if (!existsSync('/usr/bin/nix-build')) skipOrFail(this, 'nix-build is missing: apt-get install nix-bin');
      await mkdir(join(work, 'conf'));
      await mkdir(join(work, 'bb'));
      await copyFile(busybox, join(work, 'bb/busybox'));
      await writeFile(join(work, 'conf/nix.conf'), 'sandbox = true\nbuild-users-group =\nsubstituters =\n');
      // A derivation for aarch64-linux whose builder is the static arm64 busybox.
      await writeFile(
        join(work, 'foreign.nix'),
        [
          'let bb = builtins.path { path = ./bb; name = "bb"; }; in',
          'derivation {',
          '  name = "foreign-uname";',
          '  system = "aarch64-linux";',
          '  builder = "${bb}/busybox";',
          '  args = [ "sh" "-c" "uname -m > $out" ];',
          '}',
          '',
        ].join('\n'),
      );
      const env = { NIX_CONF_DIR: join(work, 'conf'), NIX_STATE_DIR: join(work, 'state'), NIX_LOG_DIR: join(work, 'log'), HOME: work };
      nix = env;
    });

    const build = () =>
      instance.sh(
        `cd ${work} && ${Object.entries(nix)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} nix-build --store ${work}/store foreign.nix --no-out-link`,
      );

    it('registered without F: the build fails, and succeeds once `sandbox nix --write` settings are in nix.conf', async () => {
      await instance.cli(['enable', 'aarch64', '--no-fix-binary']);
      await writeFile(
        join(work, 'conf/nix.conf'),
        `${await readFile(join(work, 'conf/nix.conf'), 'utf8')}extra-platforms = aarch64-linux\n`,
      );
      const failing = await build();
      expect(failing.exitCode).to.not.equal(0);
      expect(failing.stderr).to.include('No such file or directory');

      const written = await instance.cli(['sandbox', 'nix', 'aarch64', '--write', join(work, 'conf/nix.conf')]);
      expect(written.exitCode).to.equal(0);
      const built = await build();
      expect(built.exitCode, built.stderr).to.equal(0);
      expect(await readFile(join(work, 'store', built.stdout.trim()), 'utf8')).to.equal('aarch64\n');
    });

    it('registered with F: it builds with no sandbox path at all', async () => {
      await instance.cli(['enable', 'aarch64']);
      const settings = await instance.cli(['sandbox', 'nix', 'aarch64']);
      expect(settings.stdout).to.equal('extra-platforms = aarch64-linux');
      await writeFile(join(work, 'conf/nix.conf'), `${await readFile(join(work, 'conf/nix.conf'), 'utf8')}${settings.stdout}\n`);
      const built = await build();
      expect(built.exitCode, built.stderr).to.equal(0);
    });
  });

  it('sandbox nix --write keeps the rest of nix.conf byte for byte, and a second run changes nothing', async () => {
    await instance.cli(['enable', 'aarch64', '--no-fix-binary']);
    const conf = join(work, 'nix.conf');
    const others = '# mine\nmax-jobs = 4\ntrusted-users = root alice   \nsandbox = true'; // no final newline
    await writeFile(conf, others);
    const first = await instance.cli(['sandbox', 'nix', 'arm64', '--write', conf]);
    expect(first.stdout).to.equal(`updated ${conf}; restart nix-daemon for it to take effect (systemctl restart nix-daemon)`);
    const text = await readFile(conf, 'utf8');
    expect(text.startsWith(`${others}\n`)).to.equal(true);
    expect(text.slice(others.length + 1)).to.equal(
      [
        '# qemu-binfmt: begin (written by qemu-binfmt sandbox nix; restart nix-daemon after a change)',
        'extra-platforms = aarch64-linux',
        `extra-sandbox-paths = ${sandboxPath(emulator('qemu-aarch64'))}`,
        '# qemu-binfmt: end',
        '',
      ].join('\n'),
    );
    const second = await instance.cli(['sandbox', 'nix', 'arm64', '--write', conf]);
    expect(second.stdout).to.equal(`${conf} is up to date`);
    expect(await readFile(conf, 'utf8')).to.equal(text);
    // A change of registration updates the block in place.
    await instance.cli(['enable', 'aarch64', '--force']);
    await instance.cli(['sandbox', 'nix', 'arm64', '--write', conf]);
    expect(await readFile(conf, 'utf8')).to.equal(text.replace(`extra-sandbox-paths = ${sandboxPath(emulator('qemu-aarch64'))}\n`, ''));
  });

  it('sandbox guix gives --chroot-directory options and a drop-in; status says who sees what', async () => {
    await instance.cli(['enable', 'aarch64', '--no-fix-binary']);
    await instance.cli(['enable', 'riscv64']);
    const guix = await instance.cli(['sandbox', 'guix', 'all']);
    expect(guix.exitCode).to.equal(0);
    expect(guix.stdout.split('\n').slice(0, 2)).to.deep.equal(['# guix-daemon options:', `--chroot-directory=${emulator('qemu-aarch64')}`]);
    expect(guix.stdout).to.match(
      new RegExp(`\\nExecStart=\\nExecStart=\\S*guix-daemon .* --chroot-directory=${literally(emulator('qemu-aarch64'))}$`),
    );
    const status = JSON.parse((await instance.cli(['status', 'aarch64', 'riscv64', '--json'])).stdout);
    expect(status.results.map((p: { sandboxVisible: string }) => p.sandboxVisible)).to.deep.equal(['if-bound-or-listed', 'yes']);
    const missing = await instance.cli(['sandbox', 'nix', 'arm']);
    expect(missing.exitCode).to.equal(1);
    expect(missing.stderr).to.equal('problem: arm is not registered by qemu-binfmt here; enable it first (qemu-binfmt enable arm)');
  });
});
