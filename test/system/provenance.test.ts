import { expect } from 'chai';
import { execa } from 'execa';
import { appendFile, copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Provenance } from '../../src/operations/provenance.js';
import { PrivateInstance } from '../helpers/private-instance.js';

describe('provenance and lock: what is registered, pinned (real kernel, private instance)', function () {
  this.timeout(60_000);
  let instance: PrivateInstance | undefined;
  let dir = '';
  before(async function () {
    instance = await PrivateInstance.start(this);
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-lock-'));
  });
  after(async () => {
    await instance?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("status --provenance says each interpreter's version, linking, size, SHA-256 and package, as the system's own tools do", async () => {
    // The host's packaged emulators (Debian 12's), whose package dpkg names.
    expect((await instance!.cli(['enable', 'aarch64', 'arm', '--interpreter-dir', '/usr/bin'])).exitCode).to.equal(0);
    const r = await instance!.cli(['status', '--provenance', '--json']);
    expect(r.exitCode).to.equal(0);
    const facts = (JSON.parse(r.stdout) as { results: Provenance[] }).results;
    expect(facts.map((f) => f.entry)).to.deep.equal(['qemu-arm', 'qemu-aarch64']);
    for (const f of facts) {
      const sum = (await execa('sha256sum', [f.interpreter])).stdout.split(' ')[0];
      const size = Number((await execa('stat', ['-c', '%s', f.interpreter])).stdout);
      const version = (await execa(f.interpreter, ['--version'])).stdout.split('\n')[0]!.replace(/^.* version /, '');
      const owner = (await execa('dpkg-query', ['-S', f.interpreter])).stdout.split(': ')[0];
      expect(f).to.deep.include({ sha256: sum, size, version, static: true, package: owner });
    }
  });

  it('status --check --lock: 0 while the registered interpreters are the locked ones; a changed binary or another interpreter is named, exit 1', async () => {
    const copy = join(dir, 'qemu-aarch64-static');
    await copyFile('/usr/bin/qemu-aarch64-static', copy);
    await execa('chmod', ['755', copy]);
    expect((await instance!.cli(['enable', 'aarch64', '--interpreter', copy, '--force'])).exitCode).to.equal(0);
    const lock = await instance!.cli(['lock', 'aarch64', 'arm']);
    expect(lock.exitCode).to.equal(0);
    const file = join(dir, 'lock.json');
    await writeFile(file, lock.stdout);
    const check = (...names: string[]) => instance!.cli(['status', '--check', ...names, '--interpreter-dir', dir, '--lock', file]);
    expect((await instance!.cli(['status', '--check', 'arm', '--interpreter-dir', '/usr/bin', '--lock', file])).exitCode).to.equal(0);
    expect((await check('aarch64')).exitCode).to.equal(0);

    // The same path, another binary, put in place as a package upgrade does (the kernel still holds the old one with F).
    await copyFile(copy, `${copy}.new`);
    await appendFile(`${copy}.new`, Buffer.from([0]));
    await rename(`${copy}.new`, copy);
    const changed = await check('aarch64');
    expect(changed.exitCode).to.equal(1);
    const lines = changed.stdout.split('\n').sort();
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^aarch64: qemu-aarch64: sha256 "[0-9a-f]{64}" \(lock: "[0-9a-f]{64}"\)$/);
    const [, now, locked] = /^aarch64: qemu-aarch64: size (\d+) \(lock: (\d+)\)$/.exec(lines[1]!) ?? [];
    expect(Number(now) - Number(locked)).to.equal(1);

    // Another interpreter registered for arm.
    expect((await instance!.cli(['enable', 'arm', '--interpreter', '/usr/bin/qemu-arm', '--force', '--no-fix-binary'])).exitCode).to.equal(
      0,
    );
    const other = await instance!.cli([
      'status',
      '--check',
      'arm',
      '--interpreter',
      '/usr/bin/qemu-arm',
      '--no-fix-binary',
      '--lock',
      file,
    ]);
    expect(other.exitCode).to.equal(1);
    expect(other.stdout).to.include('arm: qemu-arm: interpreter "/usr/bin/qemu-arm" (lock: "/usr/bin/qemu-arm-static")');
    expect(other.stdout).to.include('arm: qemu-arm: static false (lock: true)');
  });

  it('a bad lock file is bad input: exit 2', async () => {
    const file = join(dir, 'not-a-lock.json');
    await writeFile(file, '{"lockVersion": 9}');
    const r = await instance!.cli(['status', '--check', '--lock', file]);
    expect([r.exitCode, r.stderr.split('\n')[0]]).to.deep.equal([2, `qemu-binfmt: --lock ${file} is not a lock file of this version`]);
  });
});
