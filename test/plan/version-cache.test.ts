import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readQemuVersion } from '../../src/elf/qemu-version.js';
import { conditionText } from '../../src/conditions.js';
import { Tree } from '../../src/fs/tree.js';
import { inspectInterpreter } from '../../src/plan/interpreter.js';
import { planEnable } from '../../src/plan/plan.js';
import { writeFakeQemu } from '../helpers/fake-qemu.js';
import { VersionCache } from '../../src/plan/version-cache.js';
import { skipOrFail } from '../helpers/paths.js';

describe('plan/version-cache: the version each emulator carries, remembered per file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-vcache-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the same version --version says, for the real emulators that have no -binfmt-P wrapper, and remembers it', async function () {
    const emulators = ['aarch64_be', 'microblazeel', 'or1k'].map((a) => `/usr/bin/qemu-${a}-static`).filter(existsSync);
    if (emulators.length === 0) skipOrFail(this, 'qemu-user-static is missing');
    const cacheDir = join(dir, 'cache');
    const cold = new VersionCache(cacheDir);
    const asked = new Map<string, boolean>();
    for (const qemu of emulators) {
      // The test may run it; the tool never does.
      const { stdout } = await execa(qemu, ['--version']);
      const said = /\bversion (.+)$/m.exec(stdout)![1]!.trim();
      expect(readQemuVersion(qemu), qemu).to.equal(said);
      asked.set(qemu, Number(said.split('.')[0]) >= 6);
      expect(inspectInterpreter(qemu, true, Tree.host(), cold).supportsPreserveArgv0, qemu).to.equal(asked.get(qemu));
    }
    cold.save();
    const warm = new VersionCache(cacheDir);
    for (const qemu of emulators) {
      // Remembered: answered from its headers alone, and the same.
      expect(warm.get(qemu), qemu).to.be.a('string');
      expect(inspectInterpreter(qemu, true, Tree.host(), warm).supportsPreserveArgv0, qemu).to.equal(asked.get(qemu));
    }
  });

  it('reads it again when the file changes (size or time), and remembers across instances', async () => {
    const qemu = join(dir, 'qemu-foo');
    const version = async (v: string, mtime: number) => {
      await writeFakeQemu(qemu, 'foo', v);
      await utimes(qemu, mtime, mtime);
    };
    const cacheDir = join(dir, 'cache');
    await version('5.2.0', 1_000_000);
    const first = new VersionCache(cacheDir);
    expect(inspectInterpreter(qemu, true, Tree.host(), first).supportsPreserveArgv0).to.equal(false);
    first.save();
    expect(new VersionCache(cacheDir).get(qemu)).to.equal('5.2.0');
    await version('7.2.10', 2_000_000);
    expect(new VersionCache(cacheDir).get(qemu)).to.equal(undefined);
    expect(inspectInterpreter(qemu, true, Tree.host(), new VersionCache(cacheDir)).supportsPreserveArgv0).to.equal(true);
  });

  it('is safe to lose: a corrupt file is ignored, a directory that cannot be written is skipped', async () => {
    const cacheDir = join(dir, 'cache');
    await writeFile(join(dir, 'cache'), 'not a directory');
    const cache = new VersionCache(cacheDir);
    expect(cache.get('/bin/sh')).to.equal(undefined);
    cache.set('/bin/sh', '9.0.0');
    expect(() => cache.save()).to.not.throw();
    await rm(cacheDir);
    const corrupt = join(dir, 'corrupt');
    await execa('mkdir', [corrupt]);
    await writeFile(join(corrupt, 'versions.json'), '{not json');
    expect(new VersionCache(corrupt).get('/bin/sh')).to.equal(undefined);
  });

  describe("trusted only as the caller's own: anything else is not read or written, and one warning says why", () => {
    /** A cache directory of the caller's with a valid cache for /bin/sh in it. */
    async function cacheWithEntry(): Promise<string> {
      const cacheDir = join(dir, 'own');
      await mkdir(cacheDir, { mode: 0o700 });
      const warm = new VersionCache(cacheDir);
      warm.set('/bin/sh', '9.0.0');
      warm.save();
      expect(new VersionCache(cacheDir).get('/bin/sh')).to.equal('9.0.0');
      return cacheDir;
    }
    const refused = (cacheDir: string, why: RegExp) => {
      const cache = new VersionCache(cacheDir);
      expect(cache.get('/bin/sh')).to.equal(undefined);
      expect(cache.condition?.code).to.equal('CACHE_UNUSED');
      expect(cache.condition && conditionText(cache.condition)).to.match(why);
      expect(cache.condition && conditionText(cache.condition)).to.match(
        /so it was not used \(only costs time\); make it yours alone, or set QEMU_BINFMT_CACHE_DIR/,
      );
      return cache;
    };

    it('a FIFO: refused without blocking, and left as it is', async () => {
      const cacheDir = await cacheWithEntry();
      await rm(join(cacheDir, 'versions.json'));
      await execa('mkfifo', [join(cacheDir, 'versions.json')]);
      const cache = refused(cacheDir, /versions\.json is not a regular file/);
      cache.set('/bin/sh', '1.0.0');
      cache.save();
      expect((await lstat(join(cacheDir, 'versions.json'))).isFIFO()).to.equal(true);
    });

    it('a symbolic link, even to a good cache', async () => {
      const cacheDir = await cacheWithEntry();
      await rename(join(cacheDir, 'versions.json'), join(cacheDir, 'real.json'));
      await symlink('real.json', join(cacheDir, 'versions.json'));
      refused(cacheDir, /versions\.json is a symbolic link/);
    });

    it('an oversized file is not read whole', async () => {
      const cacheDir = await cacheWithEntry();
      await writeFile(join(cacheDir, 'versions.json'), Buffer.alloc(300 * 1024, 0x20));
      refused(cacheDir, /versions\.json is 307200 bytes, more than the 262144/);
    });

    it('a directory that group or others can write: not read, and not written', async () => {
      const cacheDir = await cacheWithEntry();
      await chmod(cacheDir, 0o775);
      const cache = refused(cacheDir, /directory .* can be written by other users/);
      const before = await readFile(join(cacheDir, 'versions.json'), 'utf8');
      cache.set('/bin/ls', '1.0.0');
      cache.save();
      expect(await readFile(join(cacheDir, 'versions.json'), 'utf8')).to.equal(before);
    });

    it('root never reads a cache another user owns or can write', async function () {
      if (process.getuid?.() !== 0) skipOrFail(this, 'another owner needs root (chown)');
      const cacheDir = await cacheWithEntry();
      await chown(join(cacheDir, 'versions.json'), 65534, 65534);
      refused(cacheDir, /versions\.json belongs to uid 65534/);
      await chown(join(cacheDir, 'versions.json'), 0, 0);
      await chown(cacheDir, 65534, 65534);
      refused(cacheDir, /directory .* belongs to uid 65534, not to this user \(uid 0\)/);
    });

    it('a plan says the warning once, and still decides P (losing the cache only costs time)', async () => {
      const cacheDir = await cacheWithEntry();
      await chmod(cacheDir, 0o777);
      const qemu = await writeFakeQemu(join(dir, 'qemu-aarch64_be-static'), 'aarch64_be', '7.2.0');
      const before = process.env.QEMU_BINFMT_CACHE_DIR;
      process.env.QEMU_BINFMT_CACHE_DIR = cacheDir;
      try {
        const plan = planEnable(['aarch64_be', 'microblazeel'], { interpreterDir: dir, includeNative: true });
        expect(plan.conditions.filter((c) => c.code === 'CACHE_UNUSED')).to.have.length(1);
        expect(plan.targets.find((t) => t.interpreter.path === qemu)?.registration.flags.preserveArgv0).to.equal(true);
      } finally {
        if (before === undefined) delete process.env.QEMU_BINFMT_CACHE_DIR;
        else process.env.QEMU_BINFMT_CACHE_DIR = before;
      }
    });
  });
});
