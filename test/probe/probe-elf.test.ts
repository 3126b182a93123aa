import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElfHeader } from '../../src/elf/header.js';
import { EF_MIPS_ABI2 } from '../../src/elf/layout.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';
import { probeElf, probeRecord, PROBES } from '../../src/probe/probe-elf.js';
import { matches } from '../../src/table/rule.js';
import { skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

const withProbe = PLATFORMS.filter((p) => probeRecord(p));

describe('probes (platforms/probes.json and the ELF writer)', () => {
  it('exist for every platform but xtensaeb, whose absence is explained', () => {
    const missing = PLATFORMS.filter((p) => !probeRecord(p)).map((p) => p.name);
    expect(missing).to.deep.equal(['xtensaeb']);
    expect((PROBES.probes.xtensaeb as { missing: string }).missing).to.match(/assembler/);
  });

  it('each make an ELF that exactly one entry claims: their own platform', () => {
    for (const p of withProbe) {
      const elf = probeElf(p, probeRecord(p)!);
      expect(PLATFORMS.filter((q) => matches(q.rule, elf)).map((q) => q.name), p.name).to.deep.equal([p.name]);
      expect(parseElfHeader(elf), p.name).to.include({ class: p.class, endianness: p.endianness, machine: p.machine, type: 2 });
    }
  });

  it('carry the n32 ABI flag for the mips n32 platforms only', () => {
    for (const name of ['mips', 'mipsel', 'mipsn32', 'mipsn32el']) {
      const p = findPlatform(name)!;
      const abi2 = (parseElfHeader(probeElf(p, probeRecord(p)!))!.flags & EF_MIPS_ABI2) !== 0;
      expect(abi2, name).to.equal(p.mipsAbi === 'n32');
    }
  });

  it('each print the message when run directly under qemu-<binary>-static (no binfmt_misc)', async function () {
    this.timeout(60_000);
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-probe-direct-'));
    try {
      const outcomes = await Promise.all(
        withProbe.map(async (p) => {
          const qemu = `/usr/bin/${p.binary}-static`;
          if (!existsSync(qemu)) return [p.name, `${qemu} missing`];
          const file = join(dir, p.name);
          await writeFile(file, probeElf(p, probeRecord(p)!), { mode: 0o755 });
          const r = await execa(qemu, [file], { reject: false, stripFinalNewline: false });
          return [p.name, r.exitCode === 0 && r.stdout === PROBES.message ? 'ok' : `exit ${r.exitCode} ${JSON.stringify(r.stdout)} ${r.stderr}`];
        }),
      );
      const failures = outcomes.filter(([, o]) => o !== 'ok');
      if (failures.some(([, o]) => o!.endsWith('missing'))) skipOrFail(this, 'qemu-user-static is missing');
      expect(failures).to.deep.equal([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('qemu-binfmt test, through the kernel in a private binfmt_misc instance', function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let tmp: string;

  beforeEach(async function () {
    instance = await PrivateInstance.start(this);
    tmp = await mkdtemp(join(tmpdir(), 'qemu-binfmt-tmp-'));
  });
  afterEach(async () => {
    await instance?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  const test = (args: string[]) => instance.cli(['test', ...args], { TMPDIR: tmp });

  it('enable all then test all: every registered platform with a probe passes, and no probe file is left', async () => {
    expect((await instance.cli(['enable', 'all'])).exitCode).to.equal(0);
    const r = await test(['all', '--json']);
    expect(r.exitCode, r.stdout).to.equal(0);
    const report = JSON.parse(r.stdout) as { results: Array<{ platform: string; outcome: string; size?: number }> };
    const passed = report.results.filter((x) => x.outcome === 'pass').map((x) => x.platform);
    expect(passed.length).to.be.at.least(25);
    expect(report.results.filter((x) => x.outcome !== 'pass').map((x) => [x.platform, x.outcome])).to.deep.equal([['xtensaeb', 'no-probe']]);
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

  it('names another entry that claimed the probe, and enable --verify fails for it', async () => {
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
    expect(verify.exitCode).to.equal(1);
    expect(verify.stdout.split('\n')[0]).to.equal(
      'qemu-riscv64: failed: registered, but its probe failed: claimed by other-riscv (newer, matched first): exit 0, output "not qemu"',
    );
  });

  it('enable --verify passes when the probe runs', async () => {
    const r = await instance.cli(['enable', 'aarch64', 'mipsn32el', '--verify']);
    expect(r.exitCode, r.stdout).to.equal(0);
  });
});
