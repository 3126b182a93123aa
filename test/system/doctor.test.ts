import { expect } from 'chai';
import { PrivateInstance } from '../helpers/private-instance.js';
import { lineFor } from '../helpers/memory.js';
import { emulator, literally } from '../helpers/paths.js';

describe('doctor on the real kernel (private binfmt_misc instance)', function () {
  this.timeout(60_000);

  it('no problem with a healthy entry (its QEMU version named, its probe passing); a disabled one is a problem with its fix', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      expect((await instance.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
      const healthy = await instance.cli(['doctor']);
      expect(healthy.exitCode, healthy.stdout).to.equal(0);
      expect(healthy.stdout).to.match(
        new RegExp(`^- qemu-aarch64: ${literally(emulator('qemu-aarch64'))} \\(static, QEMU \\d+\\), flags PF$`, 'm'),
      );
      expect(healthy.stdout.split('\n').at(-1)).to.equal('no problem found');
      await instance.sh('echo 0 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
      const sick = await instance.cli(['doctor', '--json']);
      expect(sick.exitCode).to.equal(1);
      const report = JSON.parse(sick.stdout) as { ok: boolean; problems: Array<{ problem: string; fix: string }> };
      expect(report.problems[0]).to.deep.equal({
        code: 'ENTRY_DISABLED',
        severity: 'problem',
        problem: 'qemu-aarch64 is disabled',
        fix: 'qemu-binfmt enable aarch64',
      });
    } finally {
      await instance.stop();
    }
  });

  it('a newer entry of another tool that claims the same files: doctor names the winner, and a wrong emulator is a problem', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      expect((await instance.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
      const line = lineFor('aarch64', 'shadow', '/usr/bin/qemu-arm-static', 'F');
      await instance.registerRaw(line.trimEnd());
      const r = await instance.cli(['doctor', '--json']);
      const report = JSON.parse(r.stdout) as { results: string[]; problems: Array<{ problem: string; fix: string }> };
      expect(
        report.results.find((f) => f.startsWith('shadow ')),
        report.results.join('\n'),
      ).to.match(
        /^shadow \(\/usr\/bin\/qemu-arm-static\) also claim aarch64 files: the entry registered last wins; shadow \(decided by executing/,
      );
      expect(report.problems).to.deep.include({
        code: 'WRONG_WINNER',
        severity: 'problem',
        problem: 'shadow is newer than qemu-aarch64 and hands aarch64 programs to qemu-arm',
        fix: 'echo -1 > /proc/sys/fs/binfmt_misc/shadow',
      });
      expect(r.exitCode).to.equal(1);
    } finally {
      await instance.stop();
    }
  });
});
