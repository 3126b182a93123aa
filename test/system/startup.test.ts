import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, chown, cp, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers/paths.js';

/**
 * The installed command (npm pack, then npm install -g into a temporary prefix) runs
 * dist/cli.cjs with the V8 code cache that its first run made. It must answer exactly as node
 * dist/cli.js does, with the cache and without it: when V8 refuses the cache (another Node.js,
 * or other V8 flags) and when bin.cjs does not trust it.
 */
describe('the installed command: the code cache, and the plain bundle when the cache does not fit', function () {
  this.timeout(180_000);
  let dir = '';
  let prefix = '';
  let pkg = '';
  let empty = '';

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-startup-'));
    await chmod(dir, 0o755); // another user runs the installed command too
    prefix = join(dir, 'prefix');
    empty = join(dir, 'empty');
    await mkdir(empty);
    // dist/ as built (npm test builds first), packed as npm publishes it and installed.
    await execa('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT });
    const tarball = join(dir, 'qemu-binfmt-0.1.0.tgz');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball]);
    pkg = join(prefix, 'lib/node_modules/qemu-binfmt');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const bin = () => join(prefix, 'bin/qemu-binfmt');
  const cacheOf = (root: string) => join(root, 'dist/cli.cjs.cache');
  /** No interpreter version cache, so that no run depends on an earlier one. */
  const env = (extra: Record<string, string> = {}) => ({
    QEMU_BINFMT_CACHE_DIR: '',
    QEMU_BINFMT_DIR: '',
    QEMU_BINFMT_HOST_ARCH: '',
    ...extra,
  });
  /** The installed command itself (through its link and `#!/usr/bin/env node`), or node FILE. */
  const run = async (file: string, args: readonly string[], extra: Record<string, string> = {}) => {
    const r = await execa(file === bin() ? file : process.execPath, file === bin() ? args : [file, ...args], {
      reject: false,
      env: env(extra),
      stdin: 'ignore',
    });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
  /** What bin.cjs says about the cache (NODE_DEBUG=qemu-binfmt), for --version. */
  const said = async (file: string, extra: Record<string, string> = {}) => {
    const r = await run(file, ['--version'], { NODE_DEBUG: 'qemu-binfmt', ...extra });
    expect(r.stdout).to.equal('0.1.0');
    return r.stderr;
  };

  const CASES: ReadonlyArray<readonly string[]> = [
    ['--version'],
    ['platforms', '--json'],
    ['enable', 'all', '--dry-run', '--json', '--binfmt-dir', '<empty>'],
    ['enable', 'no-such-platform'],
  ];
  /** Each case run by node dist/cli.js (the ES module bundle of the checkout, no cache). */
  const plain = new Map<string, Awaited<ReturnType<typeof run>>>();
  const args = (c: readonly string[]) => c.map((a) => (a === '<empty>' ? empty : a));
  const expectPlain = async (file: string, extra: Record<string, string> = {}) => {
    for (const c of CASES) {
      const key = c.join(' ');
      if (!plain.has(key)) plain.set(key, await run(CLI, args(c)));
      expect(await run(file, args(c), extra), key).to.deep.equal(plain.get(key));
    }
  };

  it('the first run makes the cache, the installer’s own file, which no one else may write; another user’s run makes none', async () => {
    await rm(cacheOf(pkg), { force: true });
    const nobody = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', bin(), '--version'], {
      env: env({ NODE_DEBUG: 'qemu-binfmt' }),
      reject: false,
    });
    expect(nobody.stdout).to.equal('0.1.0');
    expect(nobody.stderr).to.match(/no code cache made: .* belongs to uid 0, not to this user/);
    expect(await stat(cacheOf(pkg)).catch(() => undefined)).to.equal(undefined);
    expect(await said(bin())).to.match(/code cache made/);
    const st = await stat(cacheOf(pkg));
    expect(st.isFile()).to.equal(true);
    expect(st.uid).to.equal(process.getuid!());
    expect(st.mode & 0o022, `mode ${(st.mode & 0o777).toString(8)}`).to.equal(0);
    expect(st.size).to.be.greaterThan(100_000);
  });

  it('uses the cache, and answers as node dist/cli.js: --version, platforms, a dry run, bad input', async () => {
    expect(await said(bin())).to.match(/code cache used/);
    await expectPlain(bin());
    const bad = plain.get('enable no-such-platform')!;
    expect(bad.exitCode).to.equal(2);
    expect(bad.stderr).to.match(/^qemu-binfmt: unknown platform no-such-platform\n/);
    expect(bad.stderr).to.not.match(/\n\s+at /);
  });

  it('another node on PATH (other V8 flags): V8 refuses the cache, the plain bundle answers the same', async () => {
    const other = join(dir, 'other-node');
    await mkdir(other);
    await writeFile(join(other, 'node'), `#!/bin/sh\nexec ${process.execPath} --no-opt "$@"\n`, { mode: 0o755 });
    const path = { PATH: `${other}:${process.env.PATH ?? ''}` };
    expect(await said(bin(), path)).to.match(/code cache rejected by V8/);
    await expectPlain(bin(), path);
  });

  /** A copy of the installed package, timestamps kept, changed by `spoil`, then run by node. */
  const spoiled = async (name: string, spoil: (root: string) => Promise<void>) => {
    const root = join(dir, name);
    await cp(pkg, root, { recursive: true, preserveTimestamps: true });
    await spoil(root);
    return join(root, 'dist/bin.cjs');
  };

  it('a damaged cache: V8 refuses it, the plain bundle answers the same', async () => {
    const file = await spoiled('damaged', async (root) => {
      const st = await stat(cacheOf(root));
      await writeFile(cacheOf(root), Buffer.alloc(st.size, 0x5a));
      await utimes(cacheOf(root), st.atime, st.mtime);
    });
    expect(await said(file)).to.match(/code cache rejected by V8/);
    await expectPlain(file);
  });

  it('a cache others may write, or older than the bundle, is not read', async () => {
    const writable = await spoiled('writable', (root) => chmod(cacheOf(root), 0o666));
    expect(await said(writable)).to.match(/code cache not used: .*can be written by group or others/);
    await expectPlain(writable);
    const stale = await spoiled('stale', async (root) => {
      const later = new Date(Date.now() + 60_000);
      await utimes(join(root, 'dist/cli.cjs'), later, later);
    });
    expect(await said(stale)).to.match(/code cache not used: .*is older than/);
    await expectPlain(stale);
  });

  it('a cache of another user is not read', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const file = await spoiled('other-owner', (root) => chown(cacheOf(root), 65534, 65534));
    expect(await said(file)).to.match(/code cache not used: .*belongs to uid 65534/);
    await expectPlain(file);
  });

  it('no cache (where the first run cannot write one): the plain bundle answers the same', async () => {
    const file = await spoiled('none', (root) => rm(cacheOf(root)));
    expect(await said(file)).to.match(/code cache not used: ENOENT/);
    await expectPlain(file);
  });
});
