import { expect } from 'chai';
import { execa, type Options } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeQemuElf, writeFakeQemu } from '../helpers/fake-qemu.js';
import { measureWork } from '../helpers/strace.js';
import { foreign, ROOT, skipOrFail } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';

/**
 * The trees, directories and files qemu-binfmt is pointed at belong to an attacker (uid 65534),
 * who moves them at the worst moment (test/helpers/attacker.ts, timed with inotify). Root runs
 * qemu-binfmt in a user namespace that maps 0..65535 (so root and the attacker both exist), with
 * a mount namespace and binfmt_misc instance of its own: never the host's mounts or table. A
 * vault (a root-only directory of root-only files) must come out with the same content, modes
 * and no mount, whatever the attacker did.
 */
const NOBODY = 65534;
// The host's own emulator: the attacks below are laid along its path, /usr/bin.
const QEMU = '/usr/bin/qemu-aarch64-static';

describe('an attacker who owns the tree: root is never turned against the host', function () {
  this.timeout(180_000);
  let instance: PrivateInstance;
  let base = '';
  let vault = '';
  let attackerJs = '';
  let hostTable = '';

  before(async function () {
    if (process.getuid?.() !== 0) skipOrFail(this, 'the attacker is another user (setpriv), which needs root');
    if (!existsSync(QEMU)) skipOrFail(this, 'qemu-user-static is missing (make test installs it)');
    hostTable = existsSync(`${BINFMT}/register`) ? (await readdir(BINFMT)).sort().join(' ') : '(none)';
    instance = await PrivateInstance.start(this, 65536);
    base = await mkdtemp(join(tmpdir(), 'qemu-binfmt-attack-'));
    await chmod(base, 0o755);
    vault = join(base, 'vault');
    await mkdir(vault, { mode: 0o700 });
    for (const [name, content] of [
      ['secret', 'root only\n'],
      ['qemu-aarch64.conf', 'root only\n'],
      ['qemu-aarch64-static', 'root only\n'],
      ['nix.conf', 'access-tokens = github.com=ghp_rootonly\n'],
      // A file that looks like ours: a tree must not lend it to us through a link.
      ['qemu-arm.conf', '# Written by qemu-binfmt 0.1.0; do not edit\n:qemu-arm:M::\\x7fELF::/usr/bin/qemu-arm-static:F\n'],
    ] as const) {
      await writeFile(join(vault, name), content, { mode: 0o600 });
    }
    // The attacker program, where uid 65534 can read it.
    attackerJs = join(base, 'attacker.js');
    await copyFile(join(ROOT, 'build/test/helpers/attacker.js'), attackerJs);
    await chmod(attackerJs, 0o644);
  });

  after(async () => {
    await instance?.stop();
    if (base) await rm(base, { recursive: true, force: true });
    const now = existsSync(`${BINFMT}/register`) ? (await readdir(BINFMT)).sort().join(' ') : '(none)';
    expect(now, "the host's table").to.equal(hostTable);
  });

  /** The vault as it must stay: every file's mode, owner and content. */
  async function vaultState(): Promise<string[]> {
    const names = (await readdir(vault)).sort();
    return Promise.all(
      names.map(async (name) => {
        const st = await lstat(join(vault, name));
        return `${name} ${(st.mode & 0o7777).toString(8)} ${st.uid} ${JSON.stringify(await readFile(join(vault, name), 'utf8'))}`;
      }),
    );
  }

  /** Mount points in the instance's mount namespace under a directory. */
  async function mountsUnder(dir: string): Promise<string[]> {
    const info = await readFile(`/proc/${instance.pid}/mountinfo`, 'utf8');
    return info
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point === dir || point.startsWith(`${dir}/`));
  }

  /** A directory owned by the attacker, with these files (made as the attacker would). */
  async function attackerDir(name: string, dirs: readonly string[] = []): Promise<string> {
    const dir = join(base, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    for (const d of dirs) await mkdir(join(dir, d), { recursive: true });
    await execa('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
    return dir;
  }

  async function asAttacker(path: string): Promise<void> {
    await execa('chown', ['-hR', `${NOBODY}:${NOBODY}`, path]);
  }

  type Attacker = { stop: () => Promise<void>; said: () => string };

  /** Node running a script as uid 65534, inside the instance. */
  function asNobody<O extends Options>(args: readonly string[], options: O) {
    const nobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...args];
    return execa(instance.prefix[0]!, [...instance.prefix.slice(1), ...nobody], options);
  }

  /** Starts the attacker (uid 65534, inside the instance) and waits until it watches. */
  async function attack(...args: string[]): Promise<Attacker> {
    const child = asNobody([attackerJs, ...args], { reject: false, stdin: 'ignore', buffer: false });
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    for (let i = 0; i < 500 && !text.includes('ready'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(text, 'the attacker watches').to.include('ready');
    return {
      stop: async () => {
        child.kill('SIGKILL');
        await child;
      },
      said: () => text,
    };
  }

  const stop = (a: Attacker) => a.stop();

  /** An image tree with systemd-binfmt, owned by the attacker. */
  async function imageTree(name: string): Promise<string> {
    const tree = await attackerDir(name, ['usr/bin', 'lib/systemd', 'etc/binfmt.d']);
    await writeFile(join(tree, 'lib/systemd/systemd-binfmt'), '');
    await writeFakeQemu(join(tree, 'usr/bin/qemu-arm-static'), 'arm', '7.2.22');
    await asAttacker(tree);
    return tree;
  }

  it('1. nothing found in a tree is run: an emulator that would act when run is only read', async () => {
    const tree = await imageTree('run-nothing');
    const mark = join(vault, 'ran');
    const evil = join(tree, 'usr/bin/qemu-aarch64-static');
    await writeFile(evil, `#!/bin/sh\necho pwned > ${mark}\necho "qemu-aarch64 version 9.0.0"\n`, { mode: 0o755 });
    await asAttacker(evil);
    const before = await vaultState();

    const persist = await instance.cli(['persist', '--root', tree, 'aarch64', 'arm']);
    expect(persist.exitCode, persist.stderr).to.equal(0);
    // The fake ELF's version (7.2) was read from it: P. The script says nothing unless run: no P.
    expect(await readFile(join(tree, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.match(/:\/usr\/bin\/qemu-arm-static:PF\n/);
    expect(await readFile(join(tree, 'etc/binfmt.d/qemu-aarch64.conf'), 'utf8')).to.match(/:\/usr\/bin\/qemu-aarch64-static:\n/);
    for (const args of [
      ['status', '--root', tree],
      ['explain', '--root', tree, evil],
      ['export', 'aarch64', '--format', 'sh', '--interpreter-dir', join(tree, 'usr/bin')],
      ['enable', 'aarch64', '--interpreter-dir', join(tree, 'usr/bin'), '--dry-run'],
      ['unpersist', '--root', tree],
    ]) {
      const r = await instance.cli(args);
      expect(r.stderr, args.join(' ')).to.not.match(/\n\s+at /);
    }
    expect(existsSync(mark), 'the tree\'s "emulator" never ran').to.equal(false);
    expect(await vaultState()).to.deep.equal(before);
  });

  it("2. links in a tree resolve inside it: an absolute link to the host is the tree's own path, never the host's", async () => {
    const tree = await imageTree('resolve-inside');
    // The tree's emulator is a link to the host's: inside the tree that path does not exist.
    await symlink(QEMU, join(tree, 'usr/bin/qemu-aarch64-static'));
    // A boot file of ours is a link to a root-only copy that looks like ours: it is not lent to status.
    await symlink(join(vault, 'qemu-arm.conf'), join(tree, 'etc/binfmt.d/qemu-arm.conf'));
    await symlink('../../../../../../../..', join(tree, 'up'));
    await asAttacker(tree);
    const r = await instance.cli(['persist', '--root', tree, 'aarch64']);
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(new RegExp(`^qemu-binfmt: interpreter not found: .* under ${tree}\\n`));
    const status = await instance.cli(['status', '--root', tree, '--json']);
    const arm = (JSON.parse(status.stdout) as { results: Array<{ platform: string; persisted: string | null }> }).results.find(
      (p) => p.platform === 'arm',
    );
    expect(arm?.persisted ?? null, 'a link to a file outside is not read as persisted').to.equal(null);
    // .. stops at the tree's root: /up/usr/bin is the tree's /usr/bin.
    await rm(join(tree, 'etc/binfmt.d/qemu-arm.conf'));
    const up = await instance.cli(['persist', '--root', tree, 'arm', '--interpreter-dir', '/up/usr/bin']);
    expect(up.exitCode, up.stderr).to.equal(0);
    expect(await readFile(join(tree, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.include(':/up/usr/bin/qemu-arm-static:PF\n');
  });

  it("3a. export --output: a link at a file's name is refused, naming it; an existing file keeps its mode and owner", async () => {
    const out = await attackerDir('export-out');
    await symlink(join(vault, 'qemu-aarch64.conf'), join(out, 'qemu-aarch64.conf'));
    await asAttacker(out);
    const before = await vaultState();
    const r = await instance.cli(['export', 'aarch64', '--format', 'binfmt.d', '--output', out]);
    expect([r.exitCode, r.stderr.split('\n')[0]]).to.deep.equal([
      2,
      `qemu-binfmt: ${out}/qemu-aarch64.conf is a symbolic link, so nothing was written`,
    ]);
    expect(await vaultState()).to.deep.equal(before);

    await rm(join(out, 'qemu-aarch64.conf'));
    await writeFile(join(out, 'qemu-aarch64.conf'), 'old\n', { mode: 0o600 });
    await asAttacker(out);
    const again = await instance.cli(['export', 'aarch64', '--format', 'binfmt.d', '--output', out]);
    expect(again.exitCode, again.stderr).to.equal(0);
    const st = await stat(join(out, 'qemu-aarch64.conf'));
    expect([st.mode & 0o7777, st.uid]).to.deep.equal([0o600, NOBODY]);
    expect(await readFile(join(out, 'qemu-aarch64.conf'), 'utf8')).to.match(/^# Written by qemu-binfmt/);
  });

  it('3b. export --output: a link renamed over the target while it is written is replaced, never followed', async () => {
    const before = await vaultState();
    for (let i = 0; i < 5; i++) {
      const out = await attackerDir(`export-race-${i}`);
      const attacker = await attack('plant-link', out, 'qemu-aarch64.conf', join(vault, 'qemu-aarch64.conf'));
      const r = await instance.cli(['export', 'aarch64', '--format', 'binfmt.d', '--output', out]);
      await stop(attacker);
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(await vaultState(), attacker.said()).to.deep.equal(before);
    }
    // And while the attacker flips a link at the name as fast as it can.
    const out = await attackerDir('export-flip');
    const flip = await attack('flip', out, 'qemu-aarch64.conf', join(vault, 'qemu-aarch64.conf'), '3000');
    for (let i = 0; i < 10; i++) {
      const r = await instance.cli(['export', 'aarch64', '--format', 'binfmt.d', '--output', out]);
      expect(r.stderr).to.not.match(/\n\s+at /);
      if (r.exitCode !== 0) expect(r.stderr).to.include(`${out}/qemu-aarch64.conf`);
    }
    await stop(flip);
    expect(await vaultState()).to.deep.equal(before);
  });

  it('3c. persist --root: a link planted at a boot file, or a directory swapped for a link, while it writes is never followed', async () => {
    const before = await vaultState();
    const planted = await imageTree('persist-plant');
    const plant = await attack('plant-link', join(planted, 'etc/binfmt.d'), 'qemu-arm.conf', join(vault, 'secret'));
    const r = await instance.cli(['persist', '--root', planted, 'arm']);
    await stop(plant);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(await vaultState(), plant.said()).to.deep.equal(before);

    const swapped = await imageTree('persist-swap');
    await writeFakeQemu(join(swapped, 'usr/bin/qemu-aarch64-static'), 'aarch64', '7.2.22');
    await asAttacker(swapped);
    const swap = await attack('swap-dir', join(swapped, 'etc/binfmt.d'), join(swapped, 'etc'), 'binfmt.d', vault);
    const s = await instance.cli(['persist', '--root', swapped, 'aarch64', 'arm']);
    await stop(swap);
    expect(s.stderr).to.not.match(/\n\s+at /);
    if (s.exitCode !== 0) expect(s.stderr, swap.said()).to.include(`${swapped}/etc/binfmt.d`);
    expect(await vaultState(), swap.said()).to.deep.equal(before);
  });

  it('3d. sandbox nix --write keeps a nix.conf private (mode and owner), and refuses a link', async () => {
    expect((await instance.cli(['enable', 'aarch64', '--interpreter', QEMU])).exitCode).to.equal(0);
    const dir = await attackerDir('nix');
    const conf = join(dir, 'nix.conf');
    await writeFile(conf, 'access-tokens = github.com=ghp_attackers_own\n', { mode: 0o600 });
    await asAttacker(dir);
    const r = await instance.cli(['sandbox', 'nix', 'aarch64', '--write', conf]);
    expect(r.exitCode, r.stderr).to.equal(0);
    const st = await stat(conf);
    expect([st.mode & 0o7777, st.uid]).to.deep.equal([0o600, NOBODY]);
    expect(await readFile(conf, 'utf8')).to.match(/^access-tokens = github.com=ghp_attackers_own\n# qemu-binfmt: begin/);

    const before = await vaultState();
    await rm(conf);
    await symlink(join(vault, 'nix.conf'), conf);
    await asAttacker(dir);
    const link = await instance.cli(['sandbox', 'nix', 'aarch64', '--write', conf]);
    expect([link.exitCode, link.stderr.split('\n')[0]]).to.deep.equal([
      1,
      `qemu-binfmt: ${conf} is a symbolic link; refusing to write through it, so nothing was written`,
    ]);
    expect(await vaultState()).to.deep.equal(before);
    expect((await instance.cli(['disable', 'aarch64'])).exitCode).to.equal(0);
  });

  it("4a. enable --chroot: a link that names a host directory is the chroot's own path; the bind lands inside it", async () => {
    const before = await vaultState();
    const tree = await attackerDir('chroot-link', ['usr']);
    await symlink(vault, join(tree, 'usr/bin'));
    await asAttacker(tree);
    const r = await instance.cli(['enable', 'aarch64', '--interpreter', QEMU, '--chroot', tree]);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`bound ${vault}/qemu-aarch64-static`);
    expect(await mountsUnder(vault)).to.deep.equal([]);
    expect(await mountsUnder(tree)).to.deep.equal([`${tree}${vault}/qemu-aarch64-static`]);
    expect((await instance.cli(['disable', 'aarch64', '--chroot', tree])).exitCode).to.equal(0);
    expect(await mountsUnder(tree)).to.deep.equal([]);
    expect(await vaultState()).to.deep.equal(before);
  });

  it('4b. enable --chroot: a directory swapped for a link while the mount point is made mounts nothing outside the tree', async () => {
    const before = await vaultState();
    let caught = 0;
    for (let i = 0; i < 5; i++) {
      const tree = await attackerDir(`chroot-race-${i}`, ['usr/bin']);
      const swap = await attack('swap-dir', join(tree, 'usr/bin'), join(tree, 'usr'), 'bin', vault);
      const r = await instance.cli(['enable', 'aarch64', '--interpreter', QEMU, '--chroot', tree]);
      await stop(swap);
      expect(r.stderr).to.not.match(/\n\s+at /);
      if (r.exitCode !== 0) {
        caught++;
        expect(r.stdout, swap.said()).to.include(
          `${tree}: aarch64: failed: ${tree}/usr/bin/qemu-aarch64-static changed while it was being mounted, so it was unmounted again`,
        );
      }
      expect(await mountsUnder(vault), swap.said()).to.deep.equal([]);
      for (const point of await mountsUnder(tree)) expect(point.startsWith(`${tree}/usr/bin`), point).to.equal(true);
      expect(await vaultState(), swap.said()).to.deep.equal(before);
    }
    console.log(`      (the swap landed between making and mounting in ${caught} of 5 runs)`);
    await instance.removeEntries('qemu-*');
  });

  it('4c. run --rootfs as root: a bind lands on the place in the root filesystem that was checked, while the attacker flips it', async function () {
    const before = await vaultState();
    // Unpacked by root; the attacker owns a home directory in it, and the mount point there.
    const rootfs = join(base, 'rootfs');
    await cp(foreign(this, 'rootfs-arm64'), rootfs, { recursive: true, verbatimSymlinks: true });
    await mkdir(join(rootfs, 'home/nobody/shared'), { recursive: true });
    await asAttacker(join(rootfs, 'home/nobody'));
    const shared = join(base, 'shared');
    await mkdir(shared);
    await writeFile(join(shared, 'note'), 'from the host\n');
    const flip = await attack('flip-dir', join(rootfs, 'home/nobody'), 'shared', vault, '6000');
    let landed = 0;
    for (let i = 0; i < 5; i++) {
      const r = await instance.cli([
        'run',
        'aarch64',
        '--rootfs',
        rootfs,
        '--bind',
        `${shared}:/home/nobody/shared`,
        '--',
        '/bin/cat',
        '/home/nobody/shared/note',
      ]);
      if (r.exitCode === 0) {
        landed++;
        expect(r.stdout).to.equal('from the host');
      } else if (r.stderr.startsWith('qemu-binfmt:')) expect(r.stderr, flip.said()).to.include(`${rootfs}/home/nobody/shared`);
      // Otherwise cat itself found no note: the attacker moved the directory (bind and all) after it was mounted.
      else expect(r.stderr).to.match(/^\/bin\/cat: \/home\/nobody\/shared\/note: /);
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
    await stop(flip);
    console.log(`      (cat read the note through the bind in ${landed} of 5 runs)`);
    expect(await vaultState()).to.deep.equal(before);
    expect(await readdir(shared)).to.deep.equal(['note']);
  });

  it('4d. run --rootfs as root: a root filesystem swapped for a link after it was checked mounts nothing and runs nothing there', async function () {
    const before = await vaultState();
    const home = await attackerDir('run-swap');
    const rootfs = join(home, 'rootfs');
    await cp(foreign(this, 'rootfs-arm64'), rootfs, { recursive: true, verbatimSymlinks: true });
    await asAttacker(home);
    // The moment the namespace's shell starts (the path was checked by then), rootfs becomes a link to the vault.
    const swap = await attack('swap-on-process', home, 'rootfs', vault, 'qemu-binfmt-run');
    const r = await instance.cli(['run', 'aarch64', '--rootfs', rootfs, '--', '/bin/true']);
    await stop(swap);
    expect(swap.said()).to.include(`swapped ${rootfs}`);
    expect(r.exitCode).to.equal(1);
    expect(r.stderr.split('\n')[0], r.stderr).to.be.oneOf([
      `qemu-binfmt: ${rootfs} changed after it was checked, so nothing was mounted; make sure no one else moves it, then run this again`,
      `qemu-binfmt: ${rootfs} is reached through a place of uid ${NOBODY} but belongs to uid 0: that user could send it anywhere, so nothing was done there`,
    ]);
    expect(await vaultState()).to.deep.equal(before);
  });

  it("5. reads: a FIFO or device is refused without blocking, an oversized file by its size; a tree's FIFO does not hang status or explain", async () => {
    const dir = await attackerDir('reads');
    await execa('mkfifo', [join(dir, 'fifo')]);
    const lock = await instance.cli(['status', '--check', 'aarch64', '--lock', join(dir, 'fifo')]);
    expect([lock.exitCode, lock.stderr.split('\n')[0]]).to.deep.equal([2, `qemu-binfmt: --lock ${join(dir, 'fifo')} is not a file`]);
    // A root-owned file reached through the attacker's directory is not read at all.
    const rootOwned = join(dir, 'root.lock');
    await writeFile(rootOwned, '{"lockVersion": 1, "interpreters": []}\n');
    const notLent = await instance.cli(['status', '--check', 'aarch64', '--lock', rootOwned]);
    expect([notLent.exitCode, notLent.stderr.split('\n')[0]]).to.deep.equal([
      2,
      `qemu-binfmt: --lock ${rootOwned} is not a lock file (${rootOwned} is reached through a place of uid ${NOBODY} but belongs to uid 0: that user could send it anywhere, so nothing was done there)`,
    ]);
    const huge = join(dir, 'huge.lock');
    await writeFile(huge, Buffer.alloc(2 * 1024 * 1024, 0x20));
    await asAttacker(huge);
    const big = await instance.cli(['status', '--check', 'aarch64', '--lock', huge]);
    expect([big.exitCode, big.stderr.split('\n')[0]]).to.deep.equal([
      2,
      `qemu-binfmt: --lock ${huge} is not a lock file (${huge} is 2097152 bytes, more than the 1048576 such a file may hold)`,
    ]);
    const tree = await imageTree('fifo-tree');
    await execa('mkfifo', [join(tree, 'etc/binfmt.d/qemu-aarch64.conf'), join(tree, 'etc/ld.so.conf')]);
    await asAttacker(tree);
    const status = await instance.cli(['status', '--root', tree]);
    expect(status.exitCode, status.stderr).to.equal(0);
    const explain = await instance.cli(['explain', '--root', tree, '/bin/ls']);
    expect(explain.stderr).to.not.match(/\n\s+at /);
  });

  it('6. files that lie: a malformed ELF, a read-only segment that claims 16 TiB, an ld.so.conf that includes itself through links', async () => {
    const tree = await imageTree('lies');
    // Program headers of one byte each, and a program header table beyond any offset a read can take.
    const bad = await readFile('/bin/true');
    bad.writeUInt16LE(1, 54);
    bad.writeUInt16LE(64, 56);
    await writeFile(join(tree, 'usr/bin/bad'), bad, { mode: 0o755 });
    const far = Buffer.from(bad);
    far.writeUInt16LE(56, 54);
    far.writeBigUInt64LE(1n << 62n, 32);
    await writeFile(join(tree, 'usr/bin/far'), far, { mode: 0o755 });
    for (const name of ['bad', 'far']) await writeFile(join(tree, `usr/bin/run-${name}`), `#!/usr/bin/${name}\n`, { mode: 0o755 });
    // An emulator whose read-only segment claims 16 TiB, in a sparse file of 8 TiB.
    const huge = join(tree, 'usr/bin/qemu-aarch64-static');
    const elf = fakeQemuElf('aarch64', 'none');
    elf.writeBigUInt64LE(1n << 44n, 64 + 32);
    await writeFile(huge, elf, { mode: 0o755 });
    await truncate(huge, 8 * 2 ** 40);
    // ld.so.conf includes d1/*.conf and d2/*.conf, and d1 and d2 lead back to /etc.
    await writeFile(join(tree, 'etc/ld.so.conf'), 'include d1/*.conf\ninclude d2/*.conf\n');
    await writeFile(join(tree, 'etc/a.conf'), 'include d1/*.conf\n');
    await writeFile(join(tree, 'etc/b.conf'), 'include d2/*.conf\n');
    await symlink('.', join(tree, 'etc/d1'));
    await symlink('.', join(tree, 'etc/d2'));
    await asAttacker(tree);

    for (const name of ['bad', 'far']) {
      const r = await instance.cli(['explain', '--root', tree, join(tree, `usr/bin/run-${name}`)]);
      expect(r.stderr, name).to.not.match(/internal error|\n\s+at /);
      expect(r.stdout, name).to.include(`a script for /usr/bin/${name}`);
    }
    const work = await measureWork(['persist', '--root', tree, 'aarch64'], instance.prefix);
    expect(work.exitCode).to.equal(0);
    expect(work.bytesRead.get(huge) ?? 0, 'bytes read looking for a version').to.be.at.most(65 * 1024 * 1024);
    // The include loop is read once per file, by where it really is: it ends.
    const explained = await instance.cli(['explain', '--root', tree, '/bin/ls']);
    expect(explained.stderr).to.not.match(/\n\s+at /);
    expect(explained.stdout).to.include('/bin/ls');
  });

  it("7. a directory above the tree that another user owns: a link there does not lend root a directory or file of root's", async () => {
    const before = await vaultState();
    const above = await attackerDir('above');
    await symlink(vault, join(above, 'link'));
    await writeFile(join(above, 'platforms'), 'aarch64\n');
    await asAttacker(above);
    const refusal = (path: string) =>
      `${path} is reached through a place of uid ${NOBODY} but belongs to uid 0: that user could send it anywhere`;
    const link = join(above, 'link');
    const cases: Array<[string[], number]> = [
      [['sandbox', 'nix', 'aarch64', '--write', join(link, 'newdir/nix.conf')], 1],
      [['sandbox', 'nix', 'aarch64', '--write', join(link, 'nix.conf')], 1],
      [['export', 'aarch64', '--format', 'binfmt.d', '--output', join(link, 'exp')], 1],
      [['enable', 'aarch64', '--interpreter', QEMU, '--chroot', link], 1],
      [['persist', '--root', link, 'aarch64'], 1],
      [['status', '--check', 'aarch64', '--lock', join(link, 'secret')], 2],
      [['watch', '--platforms-file', join(link, 'secret')], 2],
      [['explain', join(link, 'secret')], 1],
    ];
    expect((await instance.cli(['enable', 'aarch64', '--interpreter', QEMU])).exitCode).to.equal(0);
    for (const [args, code] of cases) {
      const r = await instance.cli(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).to.equal(code);
      expect(r.stdout + r.stderr, args.join(' ')).to.include(refusal(link));
      expect(r.stdout + r.stderr, args.join(' ')).to.not.include('root only');
    }
    expect(await vaultState()).to.deep.equal(before);
    expect(await mountsUnder(vault)).to.deep.equal([]);
    await instance.removeEntries('qemu-*');
  });

  it("8. the attacker's own places still work for root, and what root makes there is theirs; a script's #! through their link is not followed", async () => {
    const before = await vaultState();
    const home = await attackerDir('home8');
    // A new output directory in the attacker's home: made as theirs, and used.
    const out = join(home, 'out/nested');
    const exported = await instance.cli(['export', 'aarch64', '--format', 'binfmt.d', '--output', out]);
    expect(exported.exitCode, exported.stderr).to.equal(0);
    expect((await stat(out)).uid).to.equal(NOBODY);
    expect((await stat(join(out, 'qemu-aarch64.conf'))).uid).to.equal(0);
    // A script whose interpreter is the attacker's link to a root-only file: not read.
    await symlink(join(vault, 'secret'), join(home, 'interp'));
    await writeFile(join(home, 'script'), `#!${join(home, 'interp')}\n`, { mode: 0o755 });
    await asAttacker(home);
    const explained = await instance.cli(['explain', join(home, 'script'), '--json']);
    expect(explained.stdout).to.not.include('root only');
    expect(explained.stdout, explained.stdout).to.include(`the script's interpreter ${join(home, 'interp')} is missing`);
    // A cache directory that root made inside the attacker's directory: not used, one warning, and the command works.
    await mkdir(join(home, 'cache'), { mode: 0o700 });
    const cached = await instance.cli(['export', 'aarch64_be', '--format', 'binfmt.d'], { QEMU_BINFMT_CACHE_DIR: join(home, 'cache') });
    expect(cached.exitCode, cached.stderr).to.equal(0);
    expect(cached.stderr.split('\n').filter((l) => l.startsWith('warning: the version cache'))).to.have.length(1);
    expect(await vaultState()).to.deep.equal(before);
    // The user's own link to a file of root's is theirs to follow, when they run it.
    await symlink('/bin/ls', join(home, 'ls'));
    await asAttacker(home);
    const dist = join(base, 'dist');
    await cp(join(ROOT, 'dist'), dist, { recursive: true });
    const own = await asNobody([join(dist, 'cli.js'), 'explain', join(home, 'ls')], {
      reject: false,
      env: { QEMU_BINFMT_DIR: '', QEMU_BINFMT_CACHE_DIR: '' },
    });
    expect(own.stdout, own.stderr).to.include('runs natively');
  });
});
