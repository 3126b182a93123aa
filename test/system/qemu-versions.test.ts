import { expect } from 'chai';
import { execa } from 'execa';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { foreign, QEMU_10, skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/** Debian 12's QEMU 7.2: the host's qemu-user-static (Debian 13's 10 is the suite's default). */
const QEMU_7 = '/usr/bin';

interface Json {
  ok: boolean;
  results: Array<{ known?: string[] }>;
  warnings: Array<{ code: string; fact?: string }>;
}

/**
 * A static arm64 program that opens / with openat2, run through a private instance's entry:
 * under Debian 12's QEMU 7.2 it gets ENOSYS, and enable, status --check, doctor and explain
 * name the known problem (OPENAT2_ENOSYS) as a warning, exit codes unchanged; under Debian
 * 13's QEMU 10 it opens, and nothing is named.
 */
describe("an emulator's known problems, with Debian 12's QEMU 7.2 and Debian 13's QEMU 10", function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let program = '';
  before(async function () {
    for (const emulator of [join(QEMU_10, 'qemu-aarch64'), join(QEMU_7, 'qemu-aarch64-static')])
      if (!existsSync(emulator)) skipOrFail(this, `${emulator} is missing: run scripts/setup.sh`);
    program = foreign(this, 'openat2-arm64');
    instance = await PrivateInstance.start(this);
  });
  after(() => instance?.stop());

  const json = async (args: string[]) => {
    const r = await instance.cli([...args, '--json']);
    return { exitCode: r.exitCode, out: JSON.parse(r.stdout) as Json };
  };
  const facts = (out: Json) => out.warnings.filter((w) => w.code === 'QEMU_KNOWN_PROBLEM').map((w) => w.fact);
  const run = async () => {
    const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), program], { reject: false });
    return { exitCode: r.exitCode, stdout: r.stdout };
  };

  for (const [name, dir, version, expected] of [
    ['QEMU 7.2', QEMU_7, /^7\.2\./, ['OPENAT2_ENOSYS']],
    ['QEMU 10', QEMU_10, /^10\./, []],
  ] as const) {
    it(`${name}: the program ${expected.length ? 'gets ENOSYS, and each command names OPENAT2_ENOSYS' : 'opens /, and nothing is named'}`, async () => {
      const enabled = await json(['enable', 'aarch64', '--force', '--interpreter-dir', dir]);
      expect(enabled.exitCode).to.equal(0);
      expect(facts(enabled.out), 'enable').to.deep.equal(expected);
      // The emulator that served the program says its version (QEMU_VERSION=1), then the program runs.
      const served = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), 'env', 'QEMU_VERSION=1', program], { reject: false });
      expect(served.stdout).to.match(/qemu-aarch64 version (\S+)/);
      expect(/version (\S+)/.exec(served.stdout)![1]).to.match(version);
      expect(await run()).to.deep.equal(
        expected.length ? { exitCode: 1, stdout: 'openat2: ENOSYS (Function not implemented)' } : { exitCode: 0, stdout: 'openat2: ok' },
      );
      const checked = await json(['status', '--check', 'aarch64']);
      expect([checked.exitCode, facts(checked.out)], 'status --check').to.deep.equal([0, expected]);
      const doctor = await json(['doctor']);
      expect(facts(doctor.out), 'doctor').to.deep.equal(expected);
      const explained = await json(['explain', program]);
      expect([explained.exitCode, explained.out.results[0]!.known ?? [], facts(explained.out)], 'explain').to.deep.equal([
        0,
        expected,
        expected,
      ]);
    });
  }
});
