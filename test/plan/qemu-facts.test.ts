import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { checkRegistered } from '../../src/operations/check.js';
import { enable } from '../../src/operations/enable.js';
import { QEMU_FACTS, versionAffected } from '../../src/plan/qemu-facts.js';
import { writeFakeQemu } from '../helpers/fake-qemu.js';

/**
 * For every fact of platforms/qemu-facts.json: emulators that carry the banners of releases it
 * affects, and of releases it does not (as Debian's packages print them), and the platform it is
 * seen with. A fact without a row here fails the test: each new fact is proven with files.
 */
const RELEASES: Record<string, { platform: string; affected: string[]; fine: string[]; pie?: false }> = {
  OPENAT2_ENOSYS: {
    platform: 'aarch64',
    affected: ['7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)', '8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)', '9.1.3'],
    fine: ['9.2.0', '10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)'],
  },
  FACCESSAT2_ENOSYS: { platform: 'riscv64', affected: ['5.2.0 (Debian 1:5.2+dfsg-11+deb11u3)', '7.1.0'], fine: ['7.2.0', '10.0.2'] },
  LDCONFIG_SEGFAULT: {
    platform: 'aarch64',
    affected: ['8.1.1', '8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)', '9.1.0', '9.2.1'],
    fine: ['8.0.4', '8.2.10', '9.2.2', '10.0.0', '10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)'],
  },
  NON_PIE_STATIC_BUILD: { platform: 's390x', affected: ['10.0.13'], fine: ['10.0.13'], pie: false },
};

describe('plan/qemu-facts: known problems of QEMU releases and builds', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-facts-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('every fact has a code, a symptom, a source, a fix, and versions that parse; each is proven below', () => {
    const codes = QEMU_FACTS.map((f) => f.code);
    expect(new Set(codes).size).to.equal(codes.length);
    expect(codes).to.have.members(Object.keys(RELEASES));
    for (const f of QEMU_FACTS) {
      expect(f.code).to.match(/^[A-Z][A-Z0-9_]*$/);
      for (const text of [f.symptom, f.source, f.fix]) expect(text, f.code).to.be.a('string').and.not.equal('');
      for (const v of [f.first, f.last, ...f.fixedIn].filter((x) => x !== null)) expect(v, f.code).to.match(/^\d+\.\d+\.\d+$/);
    }
  });

  it('a version is affected from first to last, unless a fix of its branch or a higher release covers it', () => {
    const fact = { first: '8.1.1', last: '9.2.1', fixedIn: ['8.2.10', '9.2.2', '10.0.0'] };
    const affected = (v: string) => versionAffected(fact, v);
    expect(['8.1.1', '8.2.9', '9.0.0', '9.2.1'].map(affected)).to.deep.equal([true, true, true, true]);
    expect(['8.0.4', '8.2.10', '9.2.2', '10.0.0', '11.0.2', 'no version'].map(affected)).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(versionAffected({ first: null, last: null, fixedIn: ['9.2.0'] }, '7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)')).to.equal(true);
  });

  for (const fact of QEMU_FACTS) {
    it(`${fact.code}: enable and status --check warn for an emulator of an affected release, and not for a fixed one`, async () => {
      const { platform, affected, fine, pie } = RELEASES[fact.code]!;
      const binary = `qemu-${platform}`;
      const warned = async (version: string, build: { pie?: boolean }) => {
        const where = await mkdtemp(join(dir, 'v-'));
        await writeFakeQemu(join(where, `${binary}-static`), platform, version, build);
        const options = { table: new MemoryBinfmtTable(), interpreterDir: where, host: { machine: 'x86_64', executables: [] } };
        const enabled = await enable([platform], options);
        const checked = await checkRegistered([platform], options);
        const facts = (ws: ReadonlyArray<{ fact?: string }>) => ws.map((w) => w.fact).filter((f) => f !== undefined);
        expect(enabled.ok, version).to.equal(true);
        expect(checked.ok, version).to.equal(true);
        expect(facts(checked.warnings), `status --check, ${version}`).to.deep.equal(facts(enabled.results[0]!.warnings));
        return facts(enabled.results[0]!.warnings);
      };
      for (const version of affected) expect(await warned(version, pie === false ? { pie } : {}), version).to.include(fact.code);
      for (const version of fine) expect(await warned(version, {}), version).not.to.include(fact.code);
    });
  }
});
