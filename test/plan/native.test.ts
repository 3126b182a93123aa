import { expect } from 'chai';
import { detectHost, nativeDetail } from '../../src/plan/host.js';
import { planEnable } from '../../src/plan/plan.js';
import { findPlatform } from '../../src/table/platforms.js';
import { fakeInterpreterDir } from '../helpers/memory.js';

/** The native skip follows what the kernel runs: a 64-bit kernel without its family's 32-bit half leaves those platforms to QEMU. */
describe('plan: native platforms follow what the kernel runs, not the family name alone', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  const plan = (machine: string, runs32?: boolean) =>
    planEnable(['all'], { interpreterDir: fake.dir, host: { machine, executables: [], ...(runs32 !== undefined ? { runs32 } : {}) } });
  const skipped = (machine: string, runs32?: boolean) => plan(machine, runs32).skipped.map((s) => s.platform);
  const planned = (machine: string, runs32?: boolean) => plan(machine, runs32).targets.map((t) => t.platform.name);

  it('arm64 without AArch32 (Apple M-series VMs, Graviton 3): arm is registered; with it, or unknown, arm is native', () => {
    expect(skipped('aarch64', false)).to.deep.equal(['aarch64']);
    expect(planned('aarch64', false)).to.include('arm');
    expect(skipped('aarch64', true)).to.deep.equal(['arm', 'aarch64']);
    expect(skipped('aarch64')).to.deep.equal(['arm', 'aarch64']);
  });

  it('x86_64 without IA32 emulation: i386 and i486 are registered; x86_64 stays native', () => {
    expect(skipped('x86_64', false)).to.deep.equal(['x86_64']);
    expect(planned('x86_64', false)).to.include.members(['i386', 'i486']);
    expect(skipped('x86_64', true)).to.deep.equal(['i386', 'i486', 'x86_64']);
  });

  it('the options name the target kernel for files that may boot elsewhere (export, persist --root)', () => {
    const told = planEnable(['all'], { interpreterDir: fake.dir, host: { machine: 'aarch64', executables: [] }, hostRuns32: false });
    expect(told.targets.map((t) => t.platform.name)).to.include('arm');
  });

  it('says why, in words', () => {
    const arm = findPlatform('arm')!;
    expect(nativeDetail(arm, detectHost({ machine: 'aarch64', executables: [], runs32: false }))).to.equal(
      'the host (aarch64) is of the arm family, but its kernel runs no 32-bit programs of its family (as given), so QEMU runs them',
    );
    expect(nativeDetail(arm, detectHost({ machine: 'aarch64', executables: [] }))).to.equal('the host (aarch64) is of the arm family');
    expect(nativeDetail(findPlatform('s390x')!, detectHost({ machine: 'aarch64', executables: [] }))).to.equal(null);
  });
});
