import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEEP_PLATFORMS } from '../../src/probe/deep-probe.js';
import { QEMU_10, ROOT, skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

interface Json {
  ok: boolean;
  results: Array<{ platform: string; outcome: string; deep?: { calls: Array<{ call: string; result: string; fails: boolean }> } }>;
  problems: Array<{ code: string; platform?: string; fact?: string }>;
  notices: Array<{ code: string; platform?: string }>;
}

/**
 * test --deep through private instances' entries: every listed platform passes under Debian
 * 13's QEMU 10 (clone3 is missing there too, a notice: glibc falls back and threads start), and
 * under Debian 12's QEMU 7.2 fails on openat2 alone, named with its code and known problem.
 */
describe('test --deep: the system calls current userlands need, through the kernel', function () {
  this.timeout(180_000);
  let instance: PrivateInstance;
  before(async function () {
    if (!existsSync(join(QEMU_10, 'qemu-aarch64'))) skipOrFail(this, `${QEMU_10} is missing: run scripts/setup.sh`);
    instance = await PrivateInstance.start(this);
  });
  after(() => instance?.stop());

  const deep = async (dir: string) => {
    expect((await instance.cli(['enable', ...DEEP_PLATFORMS, '--force', '--interpreter-dir', dir])).exitCode).to.equal(0);
    const r = await instance.cli(['test', '--deep', ...DEEP_PLATFORMS, '--json']);
    return { exitCode: r.exitCode, out: JSON.parse(r.stdout) as Json };
  };
  const calls = (out: Json) =>
    Object.fromEntries(
      out.results.map((r) => [r.platform, (r.deep?.calls ?? []).filter((c) => c.result !== 'ok').map((c) => `${c.call} ${c.result}`)]),
    );
  const each = (list: string[]) => Object.fromEntries(DEEP_PLATFORMS.map((p) => [p, list]));

  it("Debian 13's QEMU 10: every platform passes; clone3's absence is a notice", async () => {
    const { exitCode, out } = await deep(QEMU_10);
    expect(exitCode).to.equal(0);
    expect(out.results.map((r) => r.outcome)).to.deep.equal(DEEP_PLATFORMS.map(() => 'pass'));
    expect(calls(out)).to.deep.equal(each(['clone3 ENOSYS']));
    expect(out.problems).to.deep.equal([]);
    expect(out.notices.filter((n) => n.code === 'CLONE3_ENOSYS').map((n) => n.platform)).to.have.members([...DEEP_PLATFORMS]);
  });

  it("Debian 12's QEMU 7.2: each platform fails on openat2 (OPENAT2_ENOSYS, the known problem named), exit 1", async () => {
    const { exitCode, out } = await deep('/usr/bin');
    expect(exitCode).to.equal(1);
    expect(out.results.map((r) => r.outcome)).to.deep.equal(DEEP_PLATFORMS.map(() => 'system-calls-fail'));
    expect(calls(out)).to.deep.equal(each(['openat2 ENOSYS', 'clone3 ENOSYS']));
    expect(out.problems.map((p) => [p.platform, p.code, p.fact])).to.have.deep.members(
      DEEP_PLATFORMS.map((p) => [p, 'OPENAT2_ENOSYS', 'OPENAT2_ENOSYS']),
    );
  });

  it('the deep probes rebuild from their C source with Debian’s cross compilers to the same bytes', async function () {
    const out = await mkdtemp(join(tmpdir(), 'qemu-binfmt-deep-'));
    try {
      const built = await execa('sh', [join(ROOT, 'scripts/build-deep-probes.sh')], { env: { OUT: out }, reject: false, all: true });
      if (built.exitCode !== 0 && /not found/.test(built.all ?? ''))
        skipOrFail(this, `a cross compiler is missing (scripts/setup.sh installs them): ${built.all}`);
      expect(built.exitCode, built.all).to.equal(0);
      expect((await readdir(out)).sort()).to.deep.equal([...DEEP_PLATFORMS].sort());
      for (const platform of DEEP_PLATFORMS) {
        const [shipped, rebuilt] = await Promise.all([readFile(join(ROOT, 'platforms/deep', platform)), readFile(join(out, platform))]);
        expect(rebuilt.equals(shipped), `platforms/deep/${platform}`).to.equal(true);
        expect(shipped.length, platform).to.be.below(1024 * 1024);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
