import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, skipOrFail } from '../helpers/paths.js';
import { writeFakeQemu } from '../helpers/fake-qemu.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/**
 * Every file qemu-binfmt writes (a boot file, a nix.conf, the version cache) is the old file or
 * the new one afterwards, never empty or cut short: on a small tmpfs filled to the last byte, on
 * a read-only remount, and when the process is killed (SIGKILL, by strace's inject) at each of
 * its writes, fsyncs, chmods and renames in turn; the next run completes and removes what a
 * killed run left beside the file. The tmpfs lives in a private mount namespace, so every file is
 * read from inside it.
 */
const KILL_AT = ['write', 'fsync', 'fchmod', 'fchown', 'rename'] as const;

describe('crash-safe files: a full disk, a read-only filesystem, and SIGKILL at every write', function () {
  this.timeout(300_000);
  let instance: PrivateInstance;
  let src = '';
  /** The tmpfs, inside the instance. */
  let disk = '';

  before(async function () {
    if (!existsSync('/usr/bin/strace')) skipOrFail(this, 'strace is missing: apt-get install strace (make test does)');
    if (!existsSync('/usr/bin/qemu-aarch64_be-static')) skipOrFail(this, 'qemu-user-static is missing (make test installs it)');
    instance = await PrivateInstance.start(this);
    src = await mkdtemp(join(tmpdir(), 'qemu-binfmt-crash-'));
    await chmod(src, 0o755);
    // An image tree with systemd-binfmt and emulators of its own (stand-ins, never run).
    await mkdir(join(src, 'tree/lib/systemd'), { recursive: true });
    await mkdir(join(src, 'tree/usr/bin'), { recursive: true });
    await writeFile(join(src, 'tree/lib/systemd/systemd-binfmt'), '');
    await writeFakeQemu(join(src, 'tree/usr/bin/qemu-aarch64-static'), 'aarch64', '7.2.22');
    await mkdir(join(src, 'nix'));
    await writeFile(join(src, 'nix/nix.conf'), 'access-tokens = github.com=ghp_example\n', { mode: 0o600 });
    await mkdir(join(src, 'cache'), { mode: 0o700 });
    await writeFile(join(src, 'cache/versions.json'), '{}\n', { mode: 0o600 });
    disk = join(src, 'disk');
    await mkdir(disk);
    expect((await sh(`mount -t tmpfs -o size=512k tmpfs ${disk} && cp -a ${src}/tree ${src}/nix ${src}/cache ${disk}/`)).exitCode).to.equal(
      0,
    );
    expect((await instance.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
  });
  after(async () => {
    await instance?.stop();
    if (src) await rm(src, { recursive: true, force: true });
  });

  const sh = (script: string) => instance.sh(script);
  /** A file's bytes (hex), as seen inside the instance; '' when it is missing. */
  const bytes = async (path: string) => (await sh(`[ -f ${path} ] && od -An -tx1 -v ${path} | tr -d ' \\n'`)).stdout;
  /** What a killed run may have left beside the files. */
  const leftovers = async (dir: string) => (await sh(`ls -A ${dir} | grep -c '\\.qemu-binfmt-' || true`)).stdout;

  interface Target {
    what: string;
    file: string;
    /** Puts the old file back. */
    reset: () => Promise<unknown>;
    /** The command that writes the new file. */
    args: string[];
    env?: Record<string, string>;
  }
  const targets = (): Target[] => [
    {
      what: 'persist --root (a boot file)',
      file: `${disk}/tree/etc/binfmt.d/qemu-aarch64.conf`,
      reset: () => instance.cli(['persist', '--root', `${disk}/tree`, 'aarch64', '--no-preserve-argv0']),
      args: ['persist', '--root', `${disk}/tree`, 'aarch64'],
    },
    {
      what: 'sandbox nix --write (a nix.conf)',
      file: `${disk}/nix/nix.conf`,
      reset: () => sh(`printf 'access-tokens = github.com=ghp_example\\n' > ${disk}/nix/nix.conf`),
      args: ['sandbox', 'nix', 'aarch64', '--write', `${disk}/nix/nix.conf`],
    },
    {
      what: 'the version cache',
      file: `${disk}/cache/versions.json`,
      reset: () => sh(`printf '{}\\n' > ${disk}/cache/versions.json`),
      args: ['export', 'aarch64_be', '--format', 'binfmt.d'],
      env: { QEMU_BINFMT_CACHE_DIR: `${disk}/cache` },
    },
  ];

  it('a full disk: each write fails naming its file and what to do (the cache silently), the old file stays whole, and the next run completes', async () => {
    for (const t of targets()) {
      await t.reset();
      const before = await bytes(t.file);
      expect(before, t.what).to.not.equal('');
      await sh(`dd if=/dev/zero of=${disk}/fill bs=4k 2>/dev/null; true`);
      const r = await instance.cli(t.args, t.env);
      if (t.what === 'the version cache') expect(r.exitCode, r.stderr).to.equal(0);
      else {
        expect(r.exitCode, t.what).to.equal(1);
        expect(r.stderr, t.what).to.include(
          `cannot write ${t.file} (ENOSPC); it was left as it was\nhint: free space on its disk, then run this again`,
        );
      }
      expect(await bytes(t.file), t.what).to.equal(before);
      expect(await leftovers(join(t.file, '..')), t.what).to.equal('0');
      await sh(`rm ${disk}/fill`);
      const again = await instance.cli(t.args, t.env);
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(await bytes(t.file), t.what).to.not.equal(before);
    }
  });

  it('a read-only filesystem: the write fails naming the file and EROFS (sandbox --write already at its option check), and changes nothing', async () => {
    for (const t of targets().filter((x) => x.what !== 'the version cache')) {
      await t.reset();
      const before = await bytes(t.file);
      await sh(`mount -o remount,ro ${disk}`);
      const r = await instance.cli(t.args, t.env);
      await sh(`mount -o remount,rw ${disk}`);
      if (t.args[0] === 'sandbox') {
        expect([r.exitCode, r.stderr.split('\n')[0]], t.what).to.deep.equal([
          2,
          `qemu-binfmt: --write ${t.file} cannot be written: ${disk}/nix is not writable (EROFS)`,
        ]);
      } else {
        expect(r.exitCode, t.what).to.equal(1);
        expect(r.stderr, t.what).to.include(
          `cannot write ${t.file} (EROFS); it was left as it was\nhint: its filesystem is mounted read-only: remount it read-write, or choose another place`,
        );
      }
      expect(await bytes(t.file), t.what).to.equal(before);
    }
  });

  it('SIGKILL at each write, fsync, chmod and rename in turn: the file is the old one or the new one, byte for byte', async () => {
    for (const t of targets()) {
      await t.reset();
      const old = await bytes(t.file);
      const done = await instance.cli(t.args, t.env);
      expect(done.exitCode, done.stderr).to.equal(0);
      const fresh = await bytes(t.file);
      expect(fresh, t.what).to.not.equal(old);
      let kills = 0;
      for (const call of KILL_AT) {
        for (let n = 1; ; n++) {
          await t.reset();
          const env = Object.entries({ QEMU_BINFMT_DIR: '', QEMU_BINFMT_HOST_ARCH: '', ...t.env }).map(([k, v]) => `${k}=${v}`);
          const r = await sh(
            `env ${env.map((e) => `'${e}'`).join(' ')} strace -f -qq -o /dev/null -e trace=${call} -e inject=${call}:signal=KILL:when=${n} ${process.execPath} ${CLI} ${t.args.join(' ')} >/dev/null 2>&1; echo $?`,
          );
          const now = await bytes(t.file);
          expect([old, fresh], `${t.what}, killed at ${call} #${n}`).to.include(now);
          if (r.stdout !== '137') break;
          kills++;
        }
      }
      // The next run completes, and leaves nothing beside the file.
      const next = await instance.cli(t.args, t.env);
      expect(next.exitCode, next.stderr).to.equal(0);
      expect(await bytes(t.file), t.what).to.equal(fresh);
      expect(await leftovers(join(t.file, '..')), t.what).to.equal('0');
      expect(kills, `${t.what}: killed runs`).to.be.greaterThan(3);
    }
  });
});
