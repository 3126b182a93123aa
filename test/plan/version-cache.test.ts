import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectInterpreter } from '../../src/plan/interpreter.js';
import { VersionCache } from '../../src/plan/version-cache.js';
import { skipOrFail } from '../helpers/paths.js';

describe('plan/version-cache: what --version said, remembered per file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-vcache-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives the same P answer as asking --version, for the real emulators that have no -binfmt-P wrapper', async function () {
    const emulators = ['aarch64_be', 'microblazeel', 'or1k'].map((a) => `/usr/bin/qemu-${a}-static`).filter(existsSync);
    if (emulators.length === 0) skipOrFail(this, 'qemu-user-static is missing');
    const cacheDir = join(dir, 'cache');
    const cold = new VersionCache(cacheDir);
    const asked = new Map<string, boolean>();
    for (const qemu of emulators) {
      const { stdout } = await execa(qemu, ['--version']);
      asked.set(qemu, Number(/\bversion (\d+)\./.exec(stdout)![1]) >= 6);
      expect((await inspectInterpreter(qemu, true, '/', cold)).supportsPreserveArgv0, qemu).to.equal(asked.get(qemu));
    }
    cold.save();
    const warm = new VersionCache(cacheDir);
    for (const qemu of emulators) {
      // Remembered: answered without running it, and the same.
      expect(warm.get(qemu), qemu).to.be.a('number');
      expect((await inspectInterpreter(qemu, true, '/', warm)).supportsPreserveArgv0, qemu).to.equal(asked.get(qemu));
    }
  });

  it('asks again when the file changes (size or time), and remembers across instances', async () => {
    const qemu = join(dir, 'qemu-foo');
    const version = async (v: string, mtime: number) => {
      await writeFile(qemu, `#!/bin/sh\necho "qemu-foo version ${v}"\n`);
      await chmod(qemu, 0o755);
      await utimes(qemu, mtime, mtime);
    };
    const cacheDir = join(dir, 'cache');
    await version('5.2.0', 1_000_000);
    const first = new VersionCache(cacheDir);
    expect((await inspectInterpreter(qemu, true, '/', first)).supportsPreserveArgv0).to.equal(false);
    first.save();
    expect(new VersionCache(cacheDir).get(qemu)).to.equal(5);
    await version('7.2.0', 2_000_000);
    expect(new VersionCache(cacheDir).get(qemu)).to.equal(undefined);
    expect((await inspectInterpreter(qemu, true, '/', new VersionCache(cacheDir))).supportsPreserveArgv0).to.equal(true);
  });

  it('is safe to lose: a corrupt file is ignored, a directory that cannot be written is skipped', async () => {
    const cacheDir = join(dir, 'cache');
    await writeFile(join(dir, 'cache'), 'not a directory');
    const cache = new VersionCache(cacheDir);
    expect(cache.get('/bin/sh')).to.equal(undefined);
    cache.set('/bin/sh', 9);
    expect(() => cache.save()).to.not.throw();
    await rm(cacheDir);
    const corrupt = join(dir, 'corrupt');
    await execa('mkdir', [corrupt]);
    await writeFile(join(corrupt, 'versions.json'), '{not json');
    expect(new VersionCache(corrupt).get('/bin/sh')).to.equal(undefined);
  });
});
