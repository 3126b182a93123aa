import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElfHeader } from '../../src/elf/header.js';
import { EF_MIPS_ABI2, ET_DYN, ET_EXEC } from '../../src/elf/layout.js';
import { hexToBytes } from '../../src/table/hex.js';
import {
  aliasesOf,
  findPlatform,
  PLATFORMS,
  PRIMARY_PLATFORMS,
  resolvePlatforms,
  suggest,
  type Platform,
} from '../../src/table/platforms.js';
import { matches, overlaps, type MagicRule } from '../../src/table/rule.js';
import { caught } from '../helpers/caught.js';
import { foreign, ROOT } from '../helpers/paths.js';

/** A header that the platform's declared facts describe, built without looking at its magic. */
function declaredHeader(p: Platform, type: number, osabi = 0): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, p.class === 64 ? 2 : 1, p.endianness === 'little' ? 1 : 2, 1, osabi]);
  const view = new DataView(bytes.buffer);
  const le = p.endianness === 'little';
  view.setUint16(16, type, le);
  view.setUint16(18, p.machine, le);
  view.setUint32(20, 1, le); // e_version
  if (p.mipsAbi) view.setUint32(36, p.mipsAbi === 'n32' ? EF_MIPS_ABI2 : 0, le);
  return bytes;
}

/** Platforms whose rule matches a file. */
function claimants(file: Uint8Array): string[] {
  return PLATFORMS.filter((p) => matches(p.rule, file)).map((p) => p.name);
}

function decodeFailures(p: Pick<Platform, 'class' | 'endianness' | 'machine' | 'mipsAbi'>, rule: MagicRule): string[] {
  const failures: string[] = [];
  const header = parseElfHeader(Uint8Array.from({ length: 64 }, (_, i) => rule.magic[i] ?? 0));
  if (!header) return ['magic is not an ELF header'];
  if (header.class !== p.class) failures.push(`class ${header.class}`);
  if (header.endianness !== p.endianness) failures.push(`endianness ${header.endianness}`);
  if (header.machine !== p.machine) failures.push(`e_machine ${header.machine}`);
  for (const type of [ET_EXEC, ET_DYN]) {
    const file = declaredHeader(p as Platform, type, 3);
    if (!matches(rule, file)) failures.push(`an e_type ${type} header of this platform does not match`);
  }
  return failures;
}

describe('platform table', () => {
  it('has the 34 QEMU linux-user platforms, each entry named qemu-<platform>; microblaze and microblazeel have a second rule each', () => {
    expect(PRIMARY_PLATFORMS).to.have.length(34);
    for (const p of PRIMARY_PLATFORMS) expect(p.entryName).to.equal(`qemu-${p.name}`);
    const further = PLATFORMS.filter((p) => p.companionOf);
    expect(further.map((p) => [p.name, p.entryName, p.machine])).to.deep.equal([
      ['microblaze', 'qemu-microblaze-em189', 189],
      ['microblazeel', 'qemu-microblazeel-em189', 189],
    ]);
    // Each comes right after its platform, so that all goes through them in table order.
    for (const p of further) expect(PLATFORMS[PLATFORMS.indexOf(p) - 1]!.entryName).to.equal(`qemu-${p.name}`);
  });

  it('keeps magic and mask the same length, within the 128 bytes the kernel reads', () => {
    for (const p of PLATFORMS) {
      expect(p.rule.mask.length, p.name).to.equal(p.rule.magic.length);
      expect(p.offset + p.rule.magic.length, p.name).to.be.at.most(128);
    }
  });

  it('has unique names and unambiguous aliases', () => {
    const seen = new Map<string, string>();
    for (const p of PLATFORMS) {
      for (const name of [p.name, ...aliasesOf(p)]) {
        const owner = seen.get(name.toLowerCase());
        expect(owner === undefined || owner === p.name, `${name} is claimed by ${owner} and ${p.name}`).to.equal(true);
        seen.set(name.toLowerCase(), p.name);
      }
    }
    for (const [name, owner] of seen) expect(findPlatform(name)?.name, name).to.equal(owner);
  });

  it('decodes every magic with its own EI_CLASS and EI_DATA to the declared class, endianness and machine, for ET_EXEC and ET_DYN', () => {
    for (const p of PLATFORMS) expect(decodeFailures(p, p.rule), p.name).to.deep.equal([]);
  });

  it('masks EI_OSABI, so GNU/Linux-ABI (3) binaries match', () => {
    for (const p of PLATFORMS) expect(matches(p.rule, declaredHeader(p, ET_EXEC, 3)), p.name).to.equal(true);
  });

  it('lets no file match two platforms', () => {
    for (const a of PLATFORMS) {
      for (const b of PLATFORMS) {
        if (a !== b) expect(overlaps(a.rule, b.rule), `${a.name} overlaps ${b.name}`).to.equal(false);
      }
    }
  });

  it('tells mips o32 from n32 by EF_MIPS_ABI2 in e_flags', () => {
    for (const p of PLATFORMS.filter((q) => q.mipsAbi)) {
      expect(claimants(declaredHeader(p, ET_EXEC)), p.name).to.deep.equal([p.name]);
    }
  });

  describe("against QEMU's own table (test/fixtures, a snapshot)", () => {
    const tsv = join(ROOT, 'test/fixtures/qemu-binfmt-table.tsv');
    const rows = () =>
      readFileSync(tsv, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#') && !l.startsWith('platform\t'))
        .map((l) => l.split('\t'));

    it('names the QEMU source and date it was taken from in its first line', () => {
      expect(readFileSync(tsv, 'utf8').split('\n', 1)[0]).to.match(
        /^# Snapshot of QEMU's .*scripts\/qemu-binfmt-conf\.sh.*\d{4}-\d{2}-\d{2}/,
      );
      expect(rows()).to.have.length(34);
    });

    it("agrees byte for byte, except where a recorded fix replaces QEMU's bytes", () => {
      for (const [name, family, binary, magic, mask] of rows()) {
        const p = findPlatform(name!)!;
        expect([p.name, p.family, p.binary], name).to.deep.equal([name, family, binary]);
        const qemu = p.qemu ?? { magic: p.magic, mask: p.mask };
        expect([qemu.magic, qemu.mask], name).to.deep.equal([magic, mask]);
      }
    });

    it('has exactly one faulty QEMU entry, microblaze, which no big-endian microblaze executable matches', () => {
      const faulty = rows()
        .map(([name, , , magic, mask]) => {
          const p = findPlatform(name!)!;
          return [name, decodeFailures(p, { offset: 0, magic: hexToBytes(magic!), mask: hexToBytes(mask!) })] as const;
        })
        .filter(([, failures]) => failures.length > 0)
        .map(([name]) => name);
      expect(faulty).to.deep.equal(['microblaze']);
    });
  });

  it("matches a hand-built big-endian microblaze ELF header with the fixed entry, not with QEMU's", () => {
    // Fields written one by one from the ELF spec: ELFCLASS32, ELFDATA2MSB, ET_EXEC, EM_MICROBLAZE (0xbaab).
    const header = new Uint8Array(52);
    header.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1, 0]);
    const view = new DataView(header.buffer);
    view.setUint16(16, 2, false);
    view.setUint16(18, 0xbaab, false);
    view.setUint32(20, 1, false);
    const microblaze = findPlatform('microblaze')!;
    const qemuRule = { offset: 0, magic: hexToBytes(microblaze.qemu!.magic), mask: hexToBytes(microblaze.qemu!.mask) };
    expect(parseElfHeader(header)).to.include({ class: 32, endianness: 'big', type: 2, machine: 0xbaab });
    expect(claimants(header)).to.deep.equal(['microblaze']);
    expect(matches(qemuRule, header)).to.equal(false);
  });

  it("matches headers with the official EM_MICROBLAZE (189) with the second rule's entry alone, in both byte orders", () => {
    // Written from the ELF spec, as a current toolchain writes them: ELFCLASS32, ET_EXEC, e_machine 189.
    for (const [data, name] of [
      [2, 'microblaze'],
      [1, 'microblazeel'],
    ] as const) {
      const header = new Uint8Array(52);
      header.set([0x7f, 0x45, 0x4c, 0x46, 1, data, 1, 0]);
      const view = new DataView(header.buffer);
      view.setUint16(16, 2, data === 1);
      view.setUint16(18, 189, data === 1);
      view.setUint32(20, 1, data === 1);
      expect(parseElfHeader(header)).to.include({ class: 32, type: 2, machine: 189 });
      expect(PLATFORMS.filter((p) => matches(p.rule, header)).map((p) => p.entryName)).to.deep.equal([`qemu-${name}-em189`]);
      // QEMU's table has no rule for it.
      const qemu = findPlatform(name)!.qemu ?? findPlatform(name)!;
      expect(matches({ offset: 0, magic: hexToBytes(qemu.magic), mask: hexToBytes(qemu.mask) }, header)).to.equal(false);
    }
  });

  describe('real ELF headers match exactly one entry, the right one', () => {
    const cases: Array<[string, string, Record<string, number | string>]> = [
      ['busybox-arm64', 'aarch64', { osabi: 3 }],
      ['busybox-armhf', 'arm', { osabi: 3 }],
      ['busybox-s390x', 's390x', { osabi: 3 }],
      ['busybox-mipsel', 'mipsel', {}],
      ['mips-o32', 'mips', {}],
      ['mipsel-n32', 'mipsn32el', {}],
    ];
    for (const [file, platform, expected] of cases) {
      it(`${file} -> ${platform}`, function () {
        const bytes = new Uint8Array(readFileSync(foreign(this, file)).subarray(0, 128));
        expect(parseElfHeader(bytes)).to.include(expected);
        expect(claimants(bytes)).to.deep.equal([platform]);
      });
    }
  });
});

describe('platform names', () => {
  it('resolves Debian, Docker, uname, Nix and Go aliases', () => {
    const cases: Record<string, string> = {
      arm64: 'aarch64',
      armhf: 'arm',
      ppc64el: 'ppc64le',
      loong64: 'loongarch64',
      'linux/arm64/v8': 'aarch64',
      'linux/arm/v6': 'arm',
      'linux/386': 'i386',
      armv7l: 'arm',
      i686: 'i386',
      'riscv64-linux': 'riscv64',
      'armv7l-linux': 'arm',
      mips64le: 'mips64el',
      '386': 'i386',
      'LINUX/S390X': 's390x',
      'qemu-aarch64': 'aarch64',
    };
    for (const [alias, name] of Object.entries(cases)) expect(findPlatform(alias)?.name, alias).to.equal(name);
  });

  it('resolves all to every platform, and duplicates once, in table order', () => {
    expect(resolvePlatforms(['all'])).to.have.length(PLATFORMS.length);
    expect(resolvePlatforms(['microblaze']).map((p) => p.entryName)).to.deep.equal(['qemu-microblaze', 'qemu-microblaze-em189']);
    expect(resolvePlatforms(['arm64', 'arm', 'aarch64']).map((p) => p.name)).to.deep.equal(['arm', 'aarch64']);
  });

  it('rejects unknown names with a suggestion and the valid names', () => {
    expect(() => resolvePlatforms(['aarch46'])).to.throw(/unknown platform aarch46 \(aarch46: did you mean aarch64\?\)/);
    expect(suggest('xyzzy')).to.equal(undefined);
    const err = caught(() => resolvePlatforms(['nonsense']));
    expect(err).to.include({ code: 'UNKNOWN_PLATFORM', exitCode: 2 });
    expect(err.hint).to.include('loongarch64');
  });
});
