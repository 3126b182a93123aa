import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, copyFile, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { writeFakeQemu } from '../helpers/fake-qemu.js';
import { CLI, emulator, foreign, ROOT, skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/** Every path under dir with its type, mode and content or link target. */
async function snapshot(dir: string, prefix = ''): Promise<string[]> {
  const lines: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = join(prefix, name);
    const st = await lstat(join(dir, rel));
    if (st.isSymbolicLink()) lines.push(`${rel} -> ${await readlink(join(dir, rel))}`);
    else if (st.isDirectory()) lines.push(`${rel}/ ${(st.mode & 0o7777).toString(8)}`, ...(await snapshot(dir, rel)));
    else lines.push(`${rel} ${(st.mode & 0o7777).toString(8)} ${JSON.stringify(await readFile(join(dir, rel), 'utf8'))}`);
  }
  return lines;
}

/** An image tree with a boot system's marker file and static emulators of its own at /usr/bin (stand-ins: never run). */
async function imageTree(marker: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-root-'));
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/hostname'), 'image\n');
  await mkdir(join(root, marker, '..'), { recursive: true });
  await writeFile(join(root, marker), '');
  for (const p of ['aarch64', 'arm']) await writeFakeQemu(join(root, `usr/bin/qemu-${p}-static`), p, '7.2.22');
  return root;
}

describe('persist and unpersist on an image tree (--root)', () => {
  const cases: Array<[string, string, string[]]> = [
    ['binfmt.d', 'lib/systemd/systemd-binfmt', ['etc/binfmt.d/qemu-arm.conf', 'etc/binfmt.d/qemu-aarch64.conf']],
    ['unit', 'lib/systemd/systemd', ['etc/systemd/system/qemu-binfmt.service']],
    ['openrc', 'sbin/openrc-run', ['etc/init.d/qemu-binfmt']],
  ];
  for (const [via, marker, files] of cases) {
    it(`${via}: chosen from the tree, written with a header, and removed so the tree is exactly as before`, async () => {
      const root = await imageTree(marker);
      try {
        if (via === 'binfmt.d') await mkdir(join(root, 'etc/binfmt.d')); // an existing directory stays
        const before = await snapshot(root);
        const r = await runCli(['persist', '--root', root, 'aarch64', 'arm']);
        expect(r.exitCode, r.stderr).to.equal(0);
        expect(
          r.stdout
            .split('\n')
            .filter((l) => l.startsWith('wrote '))
            .sort(),
        ).to.deep.equal(files.map((f) => `wrote ${join(root, f)}`).sort());
        for (const f of files) {
          const text = await readFile(join(root, f), 'utf8');
          expect(text).to.match(
            new RegExp(`^(#!.*\\n)?# Written by qemu-binfmt .*\\n# Regenerate with: qemu-binfmt persist --via ${via} `),
          );
          expect(text, 'no path of the machine that built the image').to.not.include(root);
        }
        if (via === 'unit')
          expect(await readlink(join(root, 'etc/systemd/system/multi-user.target.wants/qemu-binfmt.service'))).to.equal(
            '/etc/systemd/system/qemu-binfmt.service',
          );
        if (via === 'openrc') expect(await readlink(join(root, 'etc/runlevels/default/qemu-binfmt'))).to.equal('/etc/init.d/qemu-binfmt');
        // The interpreter is the image's own path.
        expect(await readFile(join(root, files[0]!), 'utf8')).to.include(':/usr/bin/qemu-arm-static:PF');

        const again = await runCli(['persist', '--root', root, 'aarch64', 'arm']);
        expect(again.exitCode).to.equal(0);
        const un = await runCli(['unpersist', '--root', root]);
        expect(un.exitCode, un.stderr).to.equal(0);
        expect(await snapshot(root)).to.deep.equal(before);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }

  it('refuses to overwrite a file it did not write, and writes nothing', async () => {
    const root = await imageTree('lib/systemd/systemd-binfmt');
    try {
      await mkdir(join(root, 'etc/binfmt.d'));
      await writeFile(join(root, 'etc/binfmt.d/qemu-aarch64.conf'), ':qemu-aarch64:M::\\x7fELF::/usr/bin/other:\n');
      const before = await snapshot(root);
      const r = await runCli(['persist', '--root', root, 'arm', 'aarch64']);
      expect(r.exitCode).to.equal(1);
      expect(r.stderr).to.equal(
        `qemu-binfmt: ${root}/etc/binfmt.d/qemu-aarch64.conf exists and was not written by qemu-binfmt, so nothing was written\nhint: move it away, or choose another way with --via`,
      );
      expect(await snapshot(root)).to.deep.equal(before);
      const un = await runCli(['unpersist', '--root', root]);
      expect([un.exitCode, un.stdout, un.stderr]).to.deep.equal([0, '', `notice: no file written by qemu-binfmt under ${root}`]);
      expect(await snapshot(root)).to.deep.equal(before);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("judges what is native by the image's own /bin/sh, not this machine's", async function () {
    const root = await imageTree('lib/systemd/systemd-binfmt');
    try {
      await mkdir(join(root, 'bin'));
      await copyFile(foreign(this, 'busybox-arm64'), join(root, 'bin/sh'));
      await writeFakeQemu(join(root, 'usr/bin/qemu-x86_64-static'), 'x86_64', '7.2.22');
      const r = await runCli(['persist', '--root', root, 'all']);
      expect(r.exitCode, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`wrote ${root}/etc/binfmt.d/qemu-x86_64.conf`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses to write through a symbolic link in the tree, and writes nothing', async () => {
    const root = await imageTree('lib/systemd/systemd-binfmt');
    const outside = await mkdtemp(join(tmpdir(), 'qemu-binfmt-outside-'));
    try {
      await symlink(outside, join(root, 'etc/binfmt.d'));
      const r = await runCli(['persist', '--root', root, 'aarch64']);
      expect(r.exitCode).to.equal(1);
      expect(r.stderr).to.equal(
        `qemu-binfmt: ${root}/etc/binfmt.d is a symbolic link; refusing to write through it, so nothing was written\nhint: replace it with a real directory or file, or choose another way with --via`,
      );
      expect(await readdir(outside)).to.deep.equal([]);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('adds platforms to an existing unit instead of dropping the ones it had', async () => {
    const root = await imageTree('lib/systemd/systemd');
    try {
      await runCli(['persist', '--root', root, 'aarch64']);
      await runCli(['persist', '--root', root, 'arm']);
      const unit = await readFile(join(root, 'etc/systemd/system/qemu-binfmt.service'), 'utf8');
      expect(/^ExecStart=(.*)$/m.exec(unit)![1]).to.equal('qemu-binfmt enable --mount --force arm aarch64');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('keeps a unit that also registers platforms not named, and says so', async () => {
    const root = await imageTree('lib/systemd/systemd');
    try {
      await runCli(['persist', '--root', root, 'aarch64', 'arm']);
      const r = await runCli(['unpersist', '--root', root, 'aarch64']);
      expect(r.stdout).to.equal(`kept ${root}/etc/systemd/system/qemu-binfmt.service: it also registers qemu-arm`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("an empty file at a boot file's path is an administrator's mask: kept and reported (exit 1), replaced only with --force; unpersist leaves it", async () => {
    const root = await imageTree('lib/systemd/systemd-binfmt');
    try {
      await mkdir(join(root, 'etc/binfmt.d'));
      await writeFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), '');
      const r = await runCli(['persist', '--root', root, 'arm', 'aarch64']);
      expect([r.exitCode, r.stdout, r.stderr]).to.deep.equal([
        1,
        `wrote ${root}/etc/binfmt.d/qemu-aarch64.conf`,
        `problem: kept ${root}/etc/binfmt.d/qemu-arm.conf: an empty file there masks it (systemd's convention), so it was not written; --force replaces it`,
      ]);
      expect(await readFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.equal('');
      const un = await runCli(['unpersist', '--root', root]);
      expect(un.stdout).to.equal(`removed ${root}/etc/binfmt.d/qemu-aarch64.conf`);
      expect(await readFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.equal('');
      const forced = await runCli(['persist', '--root', root, 'arm', '--force']);
      expect([forced.exitCode, forced.stdout]).to.deep.equal([0, `wrote ${root}/etc/binfmt.d/qemu-arm.conf`]);
      expect(await readFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.match(/^# Written by qemu-binfmt/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a tree this user cannot write: the error names the file and what to do, and nothing is left behind', async function () {
    if (process.getuid?.() !== 0) skipOrFail(this, 'becoming another user (setpriv) needs root');
    const root = await imageTree('lib/systemd/systemd-binfmt');
    const copy = await mkdtemp(join(tmpdir(), 'qemu-binfmt-dist-'));
    try {
      await mkdir(join(root, 'etc/binfmt.d'));
      await chmod(root, 0o755);
      await chmod(copy, 0o755);
      await cp(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
      const before = await snapshot(root);
      const r = await runCli(['persist', '--root', root, 'aarch64'], {
        prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
        cli: join(copy, 'dist/cli.js'),
        env: { QEMU_BINFMT_CACHE_DIR: '' },
      });
      expect([r.exitCode, r.stderr]).to.deep.equal([
        1,
        `qemu-binfmt: cannot write ${root}/etc/binfmt.d/qemu-aarch64.conf (EACCES); it was left as it was\nhint: its directory is not writable for this user: run as its owner or root, or choose another place`,
      ]);
      expect(await snapshot(root)).to.deep.equal(before);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('without a boot system it says what to do instead', async () => {
    const root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-root-'));
    try {
      const r = await runCli(['persist', '--root', root, 'aarch64']);
      expect(r.exitCode).to.equal(1);
      expect(r.stderr).to.equal(
        `qemu-binfmt: found neither systemd-binfmt, systemd nor OpenRC under ${root}\nhint: choose one with --via, or write a POSIX sh script with: qemu-binfmt export --format sh`,
      );
      expect(await readdir(root)).to.deep.equal([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('persist on a live system (private binfmt_misc instance, /etc on a private tmpfs)', function () {
  this.timeout(60_000);
  // Node warns about NODE_EXTRA_CA_CERTS when /etc is empty; it is not about qemu-binfmt.
  const env = { NODE_EXTRA_CA_CERTS: '' };

  it('writes binfmt.d, registers now, reports drift in status, and unpersist undoes both', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    const instance = await PrivateInstance.start(this);
    try {
      const tmpfs = await instance.sh('mount -t tmpfs tmpfs /etc');
      if (tmpfs.exitCode !== 0) skipOrFail(this, `cannot mount a private /etc: ${tmpfs.stderr}`);
      // Nothing persisted yet: unpersist removes no file, and so no entry either.
      await instance.cli(['enable', 'riscv64'], env);
      const nothing = await instance.cli(['unpersist'], env);
      expect(nothing.stderr).to.equal('notice: no file written by qemu-binfmt under /');
      expect(await instance.entryNames()).to.deep.equal(['qemu-riscv64']);
      await instance.cli(['disable', 'riscv64'], env);

      const persisted = await instance.cli(['persist', 'aarch64'], env);
      expect(persisted.exitCode, persisted.stderr).to.equal(0);
      expect(persisted.stdout).to.equal(
        `wrote /etc/binfmt.d/qemu-aarch64.conf\nqemu-aarch64: enabled: ${emulator('qemu-aarch64')} flags=PF`,
      );
      expect((await instance.sh(`${busybox} uname -m`)).stdout).to.equal('aarch64');

      const status = async () => JSON.parse((await instance.cli(['status', 'aarch64', '--json'], env)).stdout).results[0];
      expect(await status()).to.include({ persisted: '/etc/binfmt.d/qemu-aarch64.conf', drift: null });

      await instance.cli(['disable', 'aarch64'], env);
      expect(await status()).to.include({ drift: 'not-registered' });
      const text = await instance.cli(['status'], env);
      expect(text.stdout).to.include(
        'aarch64   -      absent  -      -            persisted in /etc/binfmt.d/qemu-aarch64.conf, but not registered now',
      );

      await instance.cli(['enable', 'aarch64', '--no-preserve-argv0'], env);
      expect(await status()).to.include({ drift: 'differs', driftDetail: 'flags F (ours: PF)' });
      await instance.sh('echo 0 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
      expect(await status()).to.include({ drift: 'differs', driftDetail: 'disabled; flags F (ours: PF)' });

      const un = await instance.cli(['unpersist', 'aarch64'], env);
      expect(un.exitCode).to.equal(0);
      expect(un.stdout).to.equal(`removed /etc/binfmt.d/qemu-aarch64.conf\nqemu-aarch64: removed: ${emulator('qemu-aarch64')}`);
      expect(await instance.entryNames()).to.deep.equal([]);
      expect((await instance.sh('ls -A /etc')).stdout).to.equal('');
    } finally {
      await instance.stop();
    }
  });

  it('says that binfmt.d registers nothing at boot where /proc/sys is read-only (a container booted by systemd-nspawn)', async function () {
    // A fresh /proc, read-only, in new namespaces: as systemd-nspawn's /proc/sys is.
    const script = `mount -o remount,ro /proc && mount -t tmpfs tmpfs /etc && ${process.execPath} ${CLI} persist aarch64 --via binfmt.d --no-now`;
    const r = await execa('unshare', ['--user', '--map-root-user', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', script], {
      reject: false,
      env: { ...env, QEMU_BINFMT_DIR: '' },
    });
    if (r.stdout === '' && /unshare/.test(r.stderr)) skipOrFail(this, `cannot make new namespaces: ${r.stderr}`);
    expect([r.exitCode, r.stdout]).to.deep.equal([0, 'wrote /etc/binfmt.d/qemu-aarch64.conf']);
    expect(r.stderr).to.equal(
      'warning: systemd skips binfmt.d where /proc/sys is read-only, as in a container booted by systemd-nspawn: these files register nothing at boot here; qemu-binfmt persist aarch64 --via unit',
    );
  });
});
