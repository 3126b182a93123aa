import { expect } from 'chai';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONDITIONS, conditionText } from '../../src/conditions.js';

const RISK = CONDITIONS.CREDENTIALS();
import { lineFor } from '../helpers/memory.js';
import { emulator, foreign } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/**
 * The truth about C: QEMU reads its QEMU_* variables without checking AT_SECURE, so with C the
 * caller of a setuid foreign program steers an emulator that runs as root. enable says so once
 * when C is chosen, doctor lists every entry with C (ours or another tool's) as a warning that
 * leaves the exit code alone, and explain says what a setuid program gets with and without C.
 */
describe('the C flag, said where it is chosen or found (private binfmt_misc instance)', function () {
  this.timeout(60_000);
  let instance: PrivateInstance;
  let dir = '';
  before(async function () {
    instance = await PrivateInstance.start(this);
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-c-'));
  });
  after(async () => {
    await instance?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('enable --credentials: one warning line with the QEMU_* fact, in text and in JSON', async () => {
    const r = await instance.cli(['enable', 'aarch64', '--credentials']);
    expect(r.exitCode, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`qemu-aarch64: enabled: ${emulator('qemu-aarch64')} flags=POCF`);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: ') && !l.includes('user namespace of its own'));
    expect(warnings).to.deep.equal([`warning: ${conditionText(RISK)}`]);
    expect(RISK.problem).to.include('QEMU_LOG_FILENAME').and.include('AT_SECURE');
    const json = await instance.cli(['enable', 'aarch64', '--credentials', '--json']);
    expect((JSON.parse(json.stdout) as { warnings: unknown[] }).warnings).to.deep.include(RISK);
    const without = await instance.cli(['enable', 'arm']);
    expect(without.stderr).to.not.include('warning: C (credentials)');
  });

  it("doctor: every entry with C, ours or another tool's, is a warning; the exit code is what it was without", async () => {
    await instance.removeEntries();
    expect((await instance.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
    const plain = await instance.cli(['doctor', '--json']);
    expect((JSON.parse(plain.stdout) as { warnings: unknown[] }).warnings).to.deep.equal([]);

    expect((await instance.cli(['enable', 'aarch64', '--credentials', '--force'])).exitCode).to.equal(0);
    await instance.registerRaw(lineFor('s390x', 'rosetta-like', '/usr/bin/qemu-s390x-static', 'OCF').trimEnd());
    const r = await instance.cli(['doctor']);
    expect(r.exitCode, r.stdout).to.equal(plain.exitCode);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('WARNING: '))).to.deep.equal([
      `WARNING: ${conditionText(CONDITIONS.CREDENTIALS(`qemu-aarch64 (${emulator('qemu-aarch64')}, flags POCF)`))}`,
      `WARNING: ${conditionText(CONDITIONS.CREDENTIALS('rosetta-like (/usr/bin/qemu-s390x-static, flags OCF)'))}`,
    ]);
    const json = JSON.parse((await instance.cli(['doctor', '--json'])).stdout) as { warnings: Array<{ code: string }> };
    expect(json.warnings.map((w) => w.code)).to.deep.equal(['CREDENTIALS', 'CREDENTIALS']);
  });

  it('explain on a setuid foreign program: what it gets without C, and with C', async function () {
    const program = join(dir, 'setuid-busybox');
    await copyFile(foreign(this, 'busybox-arm64'), program);
    await chmod(program, 0o4755);
    await instance.removeEntries();
    expect((await instance.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
    const without = await instance.cli(['explain', program, '--json']);
    const reasons = (r: { stdout: string }) => (JSON.parse(r.stdout) as { results: Array<{ reasons: string[] }> }).results[0]!.reasons;
    expect(reasons(without)).to.include(
      "setuid (owner uid 0): this entry has no C flag, so it runs with the caller's rights, not those (sudo or su in it fail); qemu-binfmt enable aarch64 --force --credentials would change that, with C's risk",
    );
    expect((await instance.cli(['enable', 'aarch64', '--credentials', '--force'])).exitCode).to.equal(0);
    const withC = await instance.cli(['explain', program]);
    expect(withC.stdout).to.include(
      `setuid (owner uid 0): with this entry's C flag it runs with those rights, and so does its emulator. ${RISK.problem}`,
    );
  });
});
