import { expect } from 'chai';
import { execa } from 'execa';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { PYTHON_LINE } from '../helpers/memory.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/**
 * Host safety on the real kernel: through the library, the static check is made to miss (it is
 * told the host is aarch64 and has no executables), and x86_64 is registered on this x86_64 host.
 * The self-test sees /bin/sh fail (ELOOP: the interpreter itself is claimed), removes the entry,
 * fails the platform, and leaves the table as it was.
 */
describe('host self-test and roll-back (private binfmt_misc instance)', function () {
  this.timeout(60_000);

  it('an entry that captures this host is removed again, and the command fails for that platform alone', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      await instance.registerRaw(PYTHON_LINE.trimEnd());
      const before = await instance.snapshot();
      const script = `
        const { enable } = await import(${JSON.stringify(join(ROOT, 'build/src/operations/enable.js'))});
        const report = await enable(['x86_64', 'riscv64'], { host: { machine: 'aarch64', executables: ['/nonexistent'] } });
        console.log(JSON.stringify(report.results.map((r) => [r.platform, r.outcome, r.error?.code ?? null, r.error?.message ?? null])));`;
      const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), process.execPath, '--input-type=module', '-e', script]);
      const results = JSON.parse(r.stdout) as Array<[string, string, string | null, string | null]>;
      expect(results.map(([p, o, c]) => [p, o, c])).to.deep.equal([
        ['x86_64', 'failed', 'HOST_BROKEN'],
        ['riscv64', 'enabled', null],
      ]);
      expect(results[0]![3]).to.match(/\/bin\/sh -c true failed \((ELOOP|ENOEXEC)\)/);
      // The host runs again, and the table is the one from before plus the innocent entry.
      expect((await instance.sh('/bin/sh -c true && echo ok')).stdout).to.equal('ok');
      expect(await instance.entryNames()).to.deep.equal(['python3.11', 'qemu-riscv64']);
      await instance.sh('echo -1 > /proc/sys/fs/binfmt_misc/qemu-riscv64');
      expect(await instance.snapshot()).to.equal(before);
    } finally {
      await instance.stop();
    }
  });
});
