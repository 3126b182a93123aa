import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElfHeader } from '../../src/elf/header.js';
import { EF_MIPS_ABI2 } from '../../src/elf/layout.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';
import { probeElf, probeRecord, PROBES } from '../../src/probe/probe-elf.js';
import { matches } from '../../src/table/rule.js';
import { skipOrFail } from '../helpers/paths.js';

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
      expect(
        PLATFORMS.filter((q) => matches(q.rule, elf)).map((q) => q.name),
        p.name,
      ).to.deep.equal([p.name]);
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
          return [
            p.name,
            r.exitCode === 0 && r.stdout === PROBES.message ? 'ok' : `exit ${r.exitCode} ${JSON.stringify(r.stdout)} ${r.stderr}`,
          ];
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
