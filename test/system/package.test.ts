import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { basename, join } from 'node:path';
import { foreign, ROOT, skipOrFail } from '../helpers/paths.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * The npm package as a user gets it: packed from a clean clone of this repository, installed
 * into an empty prefix, run by an unprivileged user; run through npx; installed from git; and
 * accepted by npm publish --dry-run. Everything it loads is in the tarball: no dependencies.
 */
describe('the npm package, from a clean clone', function () {
  this.timeout(600_000);
  let dir = '';
  let clone = '';
  let tarball = '';
  let manifest: { version: string; dependencies?: object; engines: { node: string } };
  const npm = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    execa('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], { cwd, env, all: true, reject: false });

  before(async function () {
    if (process.getuid?.() !== 0) skipOrFail(this, 'the test becomes an unprivileged user with setpriv, which needs root');
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-package-'));
    await chmod(dir, 0o755);
    clone = join(dir, 'clone');
    await execa('git', ['clone', '--quiet', ROOT, clone]);
    const ci = await npm(['ci'], clone);
    expect(ci.exitCode, ci.all).to.equal(0);
    const pack = await npm(['pack', '--pack-destination', dir], clone);
    expect(pack.exitCode, pack.all).to.equal(0);
    tarball = join(
      dir,
      (await readdir(dir)).find((f) => f.endsWith('.tgz'))!,
    );
    manifest = JSON.parse((await execa('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as typeof manifest;
  });
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('carries the bundle, the man page and the table, no source and no dependencies; packing leaves the clone as it was', async () => {
    const files = (await execa('tar', ['-tzf', tarball])).stdout.split('\n');
    expect(files).to.include.members([
      'package/dist/cli.js',
      'package/dist/index.js',
      'package/dist/man/qemu-binfmt.1',
      'package/platforms/platforms.json',
      'package/README.md',
      'package/LICENSE',
    ]);
    expect(files.filter((f) => /^package\/(src|test|scripts)\//.test(f))).to.deep.equal([]);
    expect(manifest.dependencies ?? {}).to.deep.equal({});
    expect((await execa('git', ['status', '--porcelain'], { cwd: clone })).stdout).to.equal('');
    // Every module the bundle imports is Node's own or its own file.
    const code = (await execa('tar', ['-xzOf', tarball, '--wildcards', 'package/dist/*.js'])).stdout;
    const imported = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([\w@./:-]+)["']/g)].map((m) => m[1]!);
    expect(imported).to.include('node:fs');
    const own = (name: string) => name.startsWith('node:') || name.startsWith('.') || builtinModules.includes(name);
    expect(imported.filter((name) => !own(name))).to.deep.equal([]);
  });

  it('installs into an empty prefix without a warning, and runs: --version, platforms, the man page, rootless run as nobody', async function () {
    const prefix = join(dir, 'prefix');
    const install = await npm(['install', '-g', '--prefix', prefix, tarball], dir);
    expect(install.exitCode, install.all).to.equal(0);
    expect(install.all).not.to.match(/warn|EBADENGINE/i);
    const bin = join(prefix, 'bin/qemu-binfmt');
    expect((await execa(bin, ['--version'])).stdout).to.equal(manifest.version);
    expect((await execa(bin, ['platforms'])).stdout).to.match(/^aarch64 /m);
    expect(await readFile(join(prefix, 'share/man/man1/qemu-binfmt.1'), 'utf8')).to.match(/^\.TH QEMU-BINFMT 1/);
    // An unprivileged user with a home of their own runs an arm64 program through the installed CLI.
    const home = join(dir, 'home');
    await mkdir(home);
    await chown(home, 65534, 65534);
    const busybox = join(dir, 'busybox-arm64');
    await copyFile(foreign(this, 'busybox-arm64'), busybox);
    await chmod(busybox, 0o755);
    const run = await execa(NOBODY[0]!, [...NOBODY.slice(1), bin, 'run', 'aarch64', '--', busybox, 'uname', '-m'], {
      env: { HOME: home, PATH: process.env.PATH ?? '' },
      extendEnv: false,
      reject: false,
    });
    expect(run.stdout, run.stderr).to.equal('aarch64');
    expect(run.exitCode).to.equal(0);
  });

  it('runs through npx from the tarball', async () => {
    const npx = await execa('npx', ['--yes', `./${basename(tarball)}`, '--version'], { cwd: dir, reject: false, all: true });
    expect(npx.exitCode, npx.all).to.equal(0);
    expect(npx.stdout).to.equal(manifest.version);
  });

  it('installs from git (npm install -g --install-links git+file://...)', async () => {
    const prefix = join(dir, 'from-git');
    const install = await npm(['install', '-g', '--install-links', '--prefix', prefix, `git+file://${clone}`], dir);
    expect(install.exitCode, install.all).to.equal(0);
    expect(install.all).not.to.match(/EBADENGINE/);
    expect((await execa(join(prefix, 'bin/qemu-binfmt'), ['--version'])).stdout).to.equal(manifest.version);
  });

  it('passes npm publish --dry-run', async () => {
    const publish = await npm(['publish', '--dry-run'], clone);
    expect(publish.exitCode, publish.all).to.equal(0);
    expect(publish.all).to.include(`qemu-binfmt@${manifest.version}`);
    expect((await execa('git', ['status', '--porcelain'], { cwd: clone })).stdout).to.equal('');
  });
});
