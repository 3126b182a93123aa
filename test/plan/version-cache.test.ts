import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readQemuVersion } from '../../src/elf/qemu-version.js';
import { Tree } from '../../src/fs/tree.js';
import { inspectInterpreter } from '../../src/plan/interpreter.js';
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
});
