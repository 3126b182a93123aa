import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRootless } from '../../src/run/checks.js';
import { probeElf, probeRecord, PROBES } from '../../src/probe/probe-elf.js';
import { findPlatform } from '../../src/table/platforms.js';
import { runCli } from '../helpers/cli.js';
import { CLI, foreign, ROOT, skipOrFail } from '../helpers/paths.js';
import { BINFMT } from '../helpers/private-instance.js';

/** An unprivileged user: nobody, or the test user with subordinate IDs that scripts/setup.sh makes. */
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const MAPPED_USER = 'qemu-binfmt-test';

const hostTable = () => (existsSync(`${BINFMT}/register`) ? execa('ls', [BINFMT]).then((r) => r.stdout) : Promise.resolve('(none)'));

describe('run: foreign programs without root, in a private binfmt_misc table', function () {
  this.timeout(120_000);
  let dir = '';
  let rootfs = '';
  let tableBefore = '';
  /** The CLI and the foreign programs, copied where the unprivileged user can read them (a checkout may not be). */
  let cli = '';
  const bin: Record<string, string> = {};
  before(async function () {
    if (process.getuid?.() !== 0) skipOrFail(this, 'the tests become an unprivileged user with setpriv, which needs root');
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-run-'));
    await chmod(dir, 0o755);
    // A copy of the arm64 root filesystem, owned by the unprivileged user (mount points are made in it).
    rootfs = join(dir, 'rootfs');
    await cp(foreign(this, 'rootfs-arm64'), rootfs, { recursive: true, verbatimSymlinks: true });
    await execa('chown', ['-hR', '65534:65534', rootfs]);
    await cp(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cli = join(dir, 'dist/cli.js');
    for (const name of ['busybox-arm64', 'busybox-s390x', 'busybox-mipsel']) {
      bin[name] = join(dir, name);
      await cp(foreign(this, name), bin[name]);
    }
    tableBefore = await hostTable();
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    expect(await hostTable(), "the host's table").to.equal(tableBefore);
  });
  const asNobody = (args: readonly string[], env: Record<string, string> = {}) => runCli(args, { prefix: NOBODY, env, cwd: dir, cli });

  it('as nobody: an arm64 program prints aarch64, and its exit status comes through', async function () {
    const busybox = bin['busybox-arm64']!;
    const r = await asNobody(['run', 'aarch64', '--', busybox, 'uname', '-m']);
    expect([r.exitCode, r.stdout, r.stderr]).to.deep.equal([0, 'aarch64', '']);
    const seven = await asNobody(['run', 'aarch64', '--', busybox, 'sh', '-c', 'exit 7']);
    expect(seven.exitCode).to.equal(7);
  });

  it('a foreign shell runs a loop of foreign programs (children go through the private table too); stdin comes through', async function () {
    const busybox = bin['busybox-arm64']!;
    const loop = `for i in 1 2 3; do ${busybox} uname -m; done; ${busybox} cat`;
    const r = await execa(NOBODY[0]!, [...NOBODY.slice(1), process.execPath, cli, 'run', 'aarch64', '--', busybox, 'sh', '-c', loop], {
      input: 'from stdin\n',
      reject: false,
      cwd: dir,
    });
    expect([r.exitCode, r.stdout]).to.deep.equal([0, 'aarch64\naarch64\naarch64\nfrom stdin']);
  });

  it('several platforms at once in one private table: arm64, s390x, mipsel and riscv64 programs in one script', async function () {
    const riscv = findPlatform('riscv64')!;
    const probe = join(dir, 'probe-riscv64');
    await writeFile(probe, probeElf(riscv, probeRecord(riscv)!));
    await chmod(probe, 0o755);
    const [arm64, s390x, mipsel] = [bin['busybox-arm64']!, bin['busybox-s390x']!, bin['busybox-mipsel']!];
    const script = `${arm64} uname -m; ${s390x} uname -m; ${mipsel} uname -m; ${probe}`;
    const r = await asNobody(['run', 'aarch64', 's390x', 'mipsel', 'riscv64', '--', arm64, 'sh', '-c', script]);
    expect([r.exitCode, r.stdout.split('\n')]).to.deep.equal([0, ['aarch64', 's390x', 'mips', PROBES.message.trimEnd()]]);
  });

  it('--rootfs: a dynamically linked arm64 bash runs ls /, uname -m and a pipeline of arm64 coreutils, rootless', async () => {
    const r = await asNobody([
      'run',
      'aarch64',
      '--rootfs',
      rootfs,
      '--',
      '/bin/bash',
      '-c',
      'ls / | /usr/bin/sort | /usr/bin/head -1; uname -m; echo "a b c" | tr a-z A-Z | wc -w; cat /proc/sys/fs/binfmt_misc/qemu-aarch64 | head -1; pwd',
    ]);
    expect(r.stderr).to.equal('');
    expect([r.exitCode, r.stdout.split('\n')]).to.deep.equal([0, ['bin', 'aarch64', '3', 'enabled', '/']]);
    // The working directory is kept when it exists inside.
    const inside = await runCli(['run', 'aarch64', '--rootfs', rootfs, '--', '/bin/bash', '-c', 'pwd'], {
      prefix: NOBODY,
      cwd: '/usr/bin',
      cli,
    });
    expect(inside.stdout).to.equal('/usr/bin');
  });

  it('--rootfs owned by root, which nobody can write: with its mount points, no /etc/resolv.conf is left out with a notice; without them, an overlay', async () => {
    const owned = join(dir, 'root-owned');
    await cp(rootfs, owned, { recursive: true, verbatimSymlinks: true });
    await execa('chown', ['-hR', '0:0', owned]);
    await rm(join(owned, 'etc/resolv.conf'), { force: true });
    // With its mount points: only the optional resolv.conf cannot be made.
    await Promise.all(['proc', 'dev', 'sys', 'tmp'].map((d) => mkdir(join(owned, d), { recursive: true })));
    const plain = await asNobody(['run', 'aarch64', '--rootfs', owned, '--', '/usr/bin/hello']);
    expect([plain.exitCode, plain.stdout]).to.deep.equal([0, 'Hello, world!']);
    expect(plain.stderr).to.equal(
      `notice: left out /etc/resolv.conf: ${owned}/etc is not writable for this user, so names resolve as the root filesystem's own files say`,
    );
    // Without them: an overlay with a private upper layer, and the tree stays as it was.
    await Promise.all(['proc', 'dev', 'sys', 'tmp'].map((d) => rm(join(owned, d), { recursive: true })));
    const overlay = await asNobody(['run', 'aarch64', '--rootfs', owned, '--', '/bin/bash', '-c', 'uname -m; ls -d /proc/self /tmp']);
    expect([overlay.exitCode, overlay.stdout.split('\n')]).to.deep.equal([0, ['aarch64', '/proc/self', '/tmp']]);
    expect(overlay.stderr.split('\n')[0]).to.equal(
      `notice: ${owned} lacks /proc /dev /sys /tmp and this user cannot make them there: the command sees it through an overlay whose changes stay in memory`,
    );
    expect((await readdir(owned)).sort()).to.deep.equal(['.complete', 'bin', 'etc', 'lib', 'usr']);
    // A mount point that cannot be one: refused, the path named, and the step that failed.
    await writeFile(join(owned, 'proc'), '');
    const refused = await asNobody(['run', 'aarch64', '--rootfs', owned, '--', '/usr/bin/hello']);
    expect(refused.exitCode).to.equal(1);
    expect(refused.stderr).to.include(`${owned}/proc`);
    expect(refused.stderr).to.match(
      /qemu-binfmt: the root filesystem could not be prepared \(see the message above, which names the path\)\nhint: /,
    );
  });

  it('--bind SRC:DST puts a host directory into the root filesystem', async () => {
    const shared = join(dir, 'shared');
    await execa('mkdir', ['-p', shared]);
    await writeFile(join(shared, 'note'), 'from the host\n');
    await chown(shared, 65534, 65534);
    const r = await asNobody([
      'run',
      'aarch64',
      '--rootfs',
      rootfs,
      '--bind',
      `${shared}:/mnt/shared`,
      '--',
      '/bin/cat',
      '/mnt/shared/note',
    ]);
    expect([r.exitCode, r.stdout]).to.deep.equal([0, 'from the host']);
  });

  it('QEMU_BINFMT_DIR does not lead run away from its private table; a link in the root filesystem resolves inside it, as the command sees it', async () => {
    const busybox = bin['busybox-arm64']!;
    const elsewhere = await asNobody(['run', 'aarch64', '--', busybox, 'uname', '-m'], { QEMU_BINFMT_DIR: dir });
    expect([elsewhere.exitCode, elsewhere.stdout]).to.deep.equal([0, 'aarch64']);
    await execa('ln', ['-sfn', dir, join(rootfs, 'escape')]);
    await execa('chown', ['-h', '65534:65534', join(rootfs, 'escape')]);
    const shared = join(dir, 'shared');
    await execa('mkdir', ['-p', shared]);
    await writeFile(join(shared, 'note'), 'through the link\n');
    // /escape names a host directory; inside the root filesystem it is <rootfs><dir> (under its /tmp), and the bind lands there.
    const r = await asNobody([
      'run',
      'aarch64',
      '--rootfs',
      rootfs,
      '--bind',
      `${shared}:/escape/inside`,
      '--',
      '/bin/cat',
      '/escape/inside/note',
    ]);
    expect([r.exitCode, r.stdout, r.stderr]).to.deep.equal([0, 'through the link', '']);
    expect(existsSync(join(dir, 'inside')), 'nothing made outside the root filesystem').to.equal(false);
    await rm(join(rootfs, 'escape'));
  });

  it('--map auto: files of other users inside the root filesystem keep their owners', async function () {
    if (!existsSync('/usr/bin/newuidmap')) skipOrFail(this, 'newuidmap (uidmap) is missing: run scripts/setup.sh');
    const user = await execa('id', ['-u', MAPPED_USER], { reject: false });
    if (user.exitCode !== 0) skipOrFail(this, `the user ${MAPPED_USER} is missing: run scripts/setup.sh`);
    const uid = Number(user.stdout);
    const [, start] = (await readFile('/etc/subuid', 'utf8'))
      .split('\n')
      .find((l) => l.startsWith(`${MAPPED_USER}:`))!
      .split(':');
    const mine = join(dir, 'rootfs-mapped');
    await cp(rootfs, mine, { recursive: true, verbatimSymlinks: true });
    await execa('chown', ['-hR', `${uid}:${uid}`, mine]);
    // A file owned by the user's subordinate ID 1000 (as a package inside would leave it).
    await chown(join(mine, 'usr/bin/hello'), Number(start) + 999, Number(start) + 999);
    const as = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
    const ls = ['/bin/ls', '-n', '/usr/bin/hello', '/bin/bash'];
    const auto = await runCli(['run', 'aarch64', '--map', 'auto', '--rootfs', mine, '--', ...ls], { prefix: as, cwd: dir, cli });
    expect(auto.exitCode, auto.stderr).to.equal(0);
    const owners = auto.stdout.split('\n').map((l) => l.split(/\s+/).slice(2, 4).join(':'));
    expect(owners).to.deep.equal(['0:0', '1000:1000']);
    const plain = await runCli(['run', 'aarch64', '--rootfs', mine, '--', ...ls], { prefix: as, cwd: dir, cli });
    expect(plain.stdout.split('\n').map((l) => l.split(/\s+/).slice(2, 4).join(':'))).to.deep.equal(['0:0', '65534:65534']);
  });

  it('refusals: user namespaces switched off (a sysctl set to 0 in a test namespace), an old kernel, no subordinate IDs', async () => {
    const inner = `echo 0 > /proc/sys/user/max_user_namespaces && exec ${process.execPath} ${CLI} run aarch64 -- /bin/true`;
    const off = await execa('unshare', ['--user', '--map-root-user', 'sh', '-c', inner], { reject: false });
    expect([off.exitCode, off.stderr]).to.deep.equal([
      1,
      'qemu-binfmt: user namespaces are switched off (user.max_user_namespaces = 0)\nhint: sysctl -w user.max_user_namespaces=15000',
    ]);
    expect(() => checkRootless({ kernelRelease: '6.6.30' })).to.throw(
      /^Linux 6\.6\.30 has one binfmt_misc table for the whole system: a private one needs Linux >= 6\.7$/,
    );
    expect(() => checkRootless({ kernelRelease: '6.7.0', map: 'auto', subuidFile: join(dir, 'none') })).to.throw(
      /--map auto: .* gives .* no subordinate user IDs/,
    );
    const noCommand = await asNobody(['run', 'aarch64']);
    expect([noCommand.exitCode, noCommand.stderr.split('\n')[0]]).to.deep.equal([2, 'qemu-binfmt: run needs a command after --']);
    const badBind = await asNobody(['run', 'aarch64', '--bind', join(dir, 'nothing'), '--', '/bin/true']);
    expect(badBind.exitCode).to.equal(2);
  });

  it('SIGTERM sent to qemu-binfmt run reaches the command', async function () {
    const busybox = bin['busybox-arm64']!;
    const child = execa(
      process.execPath,
      [CLI, 'run', 'aarch64', '--', busybox, 'sh', '-c', "trap 'exit 42' TERM; echo up; while :; do sleep 0.05; done"],
      {
        reject: false,
        cwd: dir,
        buffer: false,
      },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    expect((await child).exitCode).to.equal(42);
  });

  it('status inside says the table is private, and what run registered', async () => {
    const r = await asNobody(['run', 'aarch64', '--', process.execPath, cli, 'status', 'aarch64']);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/its binfmt_misc table is private to it/);
    expect(r.stdout).to.match(/^aarch64 +qemu-aarch64 +enabled/m);
  });
});
