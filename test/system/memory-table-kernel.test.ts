import { expect } from 'chai';
import { execa } from 'execa';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { ROOT } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';
import { play } from '../helpers/table-steps.js';

describe('the in-memory table answers as the real kernel does (private binfmt_misc instance)', function () {
  this.timeout(60_000);

  it('the same register and control writes give the same answers and the same entries', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      const script = `
        const { openBinfmtTable } = await import(${JSON.stringify(join(ROOT, 'build/src/kernel/binfmt-dir.js'))});
        const { play } = await import(${JSON.stringify(join(ROOT, 'build/test/helpers/table-steps.js'))});
        console.log(JSON.stringify(play(openBinfmtTable())));`;
      const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), process.execPath, '--input-type=module', '-e', script]);
      const kernel = JSON.parse(r.stdout) as ReturnType<typeof play>;
      const memory = play(new MemoryBinfmtTable({ interpreterExists: (p) => !p.startsWith('/nonexistent') }));
      expect(memory.answers).to.deep.equal(kernel.answers);
      expect(memory.left).to.deep.equal(kernel.left);
    } finally {
      await instance.stop();
    }
  });
});
