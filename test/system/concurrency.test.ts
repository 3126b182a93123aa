import { expect } from 'chai';
import { PYTHON_LINE } from '../helpers/memory.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/**
 * Eight processes disabling and enabling every platform on one table at once, a ninth reading
 * status, and another tool's entry among them: every run succeeds, the other entry is kept, and
 * the table ends as one lone `enable all` leaves it.
 */
describe('concurrent enable and disable on one private instance', function () {
  this.timeout(300_000);

  it('8 loops of disable all / enable all and a status reader all exit 0; the end state is a lone run', async function () {
    const shared = await PrivateInstance.start(this);
    const lone = await PrivateInstance.start(this);
    try {
      await shared.registerRaw(PYTHON_LINE.trimEnd());
      const python = await shared.readEntry('python3.11');
      const codes: Array<{ args: string; code: number; stderr: string }> = [];
      const runOne = async (args: string[]) => {
        const r = await shared.cli(args);
        codes.push({ args: args.join(' '), code: r.exitCode, stderr: r.stderr });
      };
      let running = true;
      const loops = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 3; i++) {
          await runOne(['disable', 'all']);
          await runOne(['enable', 'all']);
        }
      });
      const reader = (async () => {
        while (running) await runOne(['status']);
      })();
      await Promise.all(loops);
      running = false;
      await reader;

      const raced = codes.filter((c) => /another process/.test(c.stderr)).length;
      this.test!.title += ` [${codes.length} runs, ${raced} saw another process's change]`;
      expect(codes.filter((c) => c.code !== 0)).to.deep.equal([]);
      expect(codes.filter((c) => c.args === 'status').length).to.be.at.least(1);
      await lone.cli(['enable', 'all']);
      expect(await shared.readEntry('python3.11')).to.equal(python);
      const table = async (instance: PrivateInstance) =>
        Object.fromEntries(
          await Promise.all(
            (await instance.entryNames()).filter((n) => n !== 'python3.11').map(async (n) => [n, await instance.readEntry(n)]),
          ),
        );
      expect(await table(shared)).to.deep.equal(await table(lone));
    } finally {
      await shared.stop();
      await lone.stop();
    }
  });
});
