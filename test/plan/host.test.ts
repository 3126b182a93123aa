import { expect } from 'chai';
import { machine } from 'node:os';
import { detectHost, hostFamily, nativeReason } from '../../src/plan/host.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';
import { foreign } from '../helpers/paths.js';

describe('host', () => {
  it('maps uname -m to QEMU host families', () => {
    const cases: Record<string, string> = {
      x86_64: 'i386',
      amd64: 'i386',
      i686: 'i386',
      i386: 'i386',
      aarch64: 'arm',
      arm64: 'arm',
      armv7l: 'arm',
      armv6l: 'arm',
      arm: 'arm',
      armeb: 'armeb',
      armv7b: 'armeb',
      aarch64_be: 'armeb',
      ppc: 'ppc',
      ppc64: 'ppc',
      powerpc: 'ppc',
      ppc64le: 'ppcle',
      ppc64el: 'ppcle',
      mips64el: 'mips',
      mipsel: 'mips',
      sparc64: 'sparc',
      loongarch64: 'loongarch',
      s390x: 's390x',
      riscv64: 'riscv64',
    };
    for (const [uname, family] of Object.entries(cases)) expect(hostFamily(uname), uname).to.equal(family);
  });

  it("refuses, as capturing the host, the platform whose rule matches this machine's own executables", () => {
    const host = detectHost();
    const capturing = PLATFORMS.filter((p) => nativeReason(p, host)?.reason === 'captures-host').map((p) => p.name);
    const own = { x86_64: ['x86_64'], aarch64: ['aarch64'] }[machine() as 'x86_64' | 'aarch64'];
    if (own) expect(capturing).to.deep.equal(own);
    expect(host.executables.map((e) => e.path)).to.include('/bin/sh');
  });

  it('counts the family as native, and checks real executables beyond the family rule', function () {
    const arm64Busybox = foreign(this, 'busybox-arm64');
    const host = detectHost({ machine: 'aarch64', executables: [arm64Busybox] });
    expect(nativeReason(findPlatform('arm')!, host)).to.deep.equal({ reason: 'family' });
    expect(nativeReason(findPlatform('aarch64')!, host)).to.deep.equal({ reason: 'captures-host', executable: arm64Busybox });
    expect(nativeReason(findPlatform('riscv64')!, host)).to.equal(undefined);
  });
});
