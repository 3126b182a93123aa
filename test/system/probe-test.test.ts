import { expect } from 'chai';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateInstance } from '../helpers/private-instance.js';

describe('qemu-binfmt test, through the kernel in a private binfmt_misc instance', function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  /** Empty until this test's setup made it, so that cleanup after a skipped or failed setup removes nothing. */
  let tmp = '';

  beforeEach(async function () {
    tmp = '';
    instance = await PrivateInstance.start(this);
    tmp = await mkdtemp(join(tmpdir(), 'qemu-binfmt-tmp-'));
  });
  afterEach(async () => {
    await instance?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const test = (args: string[]) => instance.cli(['test', ...args], { TMPDIR: tmp });

  it('microblaze and microblazeel: a probe with each machine number (0xbaab, and the official 189) passes through its own entry', async () => {
    expect((await instance.cli(['enable', 'microblaze', 'microblazeel'])).exitCode).to.equal(0);
    const r = await test(['microblaze', 'microblazeel', '--json']);
    const report = JSON.parse(r.stdout) as { results: Array<{ entry: string; outcome: string }> };
    expect(report.results.map((x) => `${x.entry} ${x.outcome}`)).to.deep.equal([
      'qemu-microblaze pass',
      'qemu-microblaze-em189 pass',
      'qemu-microblazeel pass',
      'qemu-microblazeel-em189 pass',
    ]);
    // Disabling the platform removes the pair.
    expect((await instance.cli(['disable', 'microblaze'])).exitCode).to.equal(0);
    expect((await instance.entryNames()).filter((n) => n.startsWith('qemu-'))).to.deep.equal([
      'qemu-microblazeel',
      'qemu-microblazeel-em189',
    ]);
  });

  it('enable all then test all: every registered platform with a probe passes, and no probe file is left', async () => {
    expect((await instance.cli(['enable', 'all'])).exitCode).to.equal(0);
    const r = await test(['all', '--json']);
    expect(r.exitCode, r.stdout).to.equal(0);
    const report = JSON.parse(r.stdout) as { results: Array<{ platform: string; outcome: string; size?: number }> };
    const passed = report.results.filter((x) => x.outcome === 'pass').map((x) => x.platform);
    expect(passed.length).to.be.at.least(25);
    expect(report.results.filter((x) => x.outcome !== 'pass').map((x) => [x.platform, x.outcome])).to.deep.equal([
      ['xtensaeb', 'no-probe'],
    ]);
    expect(await readdir(tmp)).to.deep.equal([]);
  });

  it('reports a platform that is not registered, and exits 1', async () => {
    await instance.cli(['enable', 'aarch64', 'riscv64']);
    await instance.cli(['disable', 'riscv64']);
    const r = await test(['aarch64', 'riscv64']);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal('qemu-aarch64: ok: passed\nqemu-riscv64: FAILED: qemu-riscv64 is not registered');
  });

  it('reports a mask that does not match as Exec format error', async () => {
    // riscv64's magic with e_machine 0xf4 instead of 0xf3, registered as another tool might.
    await instance.registerRaw(
      ':qemu-riscv64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf4\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/bin/qemu-riscv64-static:F',
    );
    const r = await test(['riscv64']);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal(
      "qemu-riscv64: FAILED: Exec format error: qemu-riscv64 does not match a riscv64 executable (its magic/mask are not this table's)",
    );
  });

  it('names another entry that claimed the probe; enable --verify leaves the platform to it', async () => {
    const liar = join(tmp, 'liar');
    await writeFile(liar, '#!/bin/sh\necho not qemu\n');
    await chmod(liar, 0o755);
    await instance.cli(['enable', 'riscv64']);
    // Registered later, so matched first: it claims every riscv64 executable.
    const riscv64Exec = '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01' + '\\x00'.repeat(9) + '\\x02\\x00\\xf3\\x00';
    await instance.registerRaw(`:other-riscv:M::${riscv64Exec}::${liar}:`);
    const r = await test(['riscv64']);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal('qemu-riscv64: FAILED: claimed by other-riscv (newer, matched first): exit 0, output "not qemu"');
    const verify = await instance.cli(['enable', 'riscv64', '--verify']);
    expect(verify.exitCode).to.equal(0);
    expect(verify.stdout.split('\n')[0]).to.equal('qemu-riscv64: left to another emulator');
  });

  it('enable --verify passes when the probe runs', async () => {
    const r = await instance.cli(['enable', 'aarch64', 'mipsn32el', '--verify']);
    expect(r.exitCode, r.stdout).to.equal(0);
  });
});
