import { expect } from 'chai';
import { CODES_ONLY_HOOK } from '../../src/conditions.js';
import { lineFor } from '../helpers/memory.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';
import { within } from '../helpers/wait.js';

/** The words of a JSON document: what a swap of the catalogue may change. */
const WORDS = new Set(['problem', 'fix', 'found', 'message', 'detail', 'hint', 'verdict', 'reasons', 'fixes', 'facts', 'time', 'note']);

/** A JSON document without its words. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (WORDS.has(k) ? [] : [[k, shape(v)]])));
  return value;
}

/**
 * Decisions read codes, never words: with every condition and every error said as its code
 * instead of its words, the same commands give the same exit codes, the same JSON apart from the
 * words, and watch makes the same decisions.
 */
describe('conditions as data: the words can change, the decisions cannot', function () {
  this.timeout(120_000);

  async function scenario(ctx: Mocha.Context, env: Record<string, string>): Promise<unknown[]> {
    const instance = await PrivateInstance.start(ctx);
    const seen: unknown[] = [];
    const run = async (args: string[]) => {
      const r = await instance.cli(args, env);
      seen.push([args.join(' '), r.exitCode, shape(JSON.parse(r.stdout) as unknown)]);
    };
    try {
      await run(['enable', 'aarch64', '--credentials', '--json']);
      // An error: another tool's same-named entry, kept.
      await instance.registerRaw(lineFor('s390x', 'qemu-s390x', '/usr/bin/true').trimEnd());
      await run(['enable', 's390x', '--json']);
      await run(['status', '--check', 's390x', '--json']);
      await run(['status', '--check', 'aarch64', 'arm', '--json']);
      await run(['doctor', '--json']);
      await instance.sh(`echo 0 > ${BINFMT}/status`);
      await run(['enable', 'arm', '--json']);
      await run(['explain', '/bin/ls', '--json']);
      await run(['status', '--check', 'aarch64', '--json']);
      await run(['doctor', '--json']);
      await instance.sh(`echo 1 > ${BINFMT}/status`);
      await instance.removeEntries();
      // watch: a disabled entry, a missing one, another tool's same-named one.
      const watch = instance.cliInBackground(['watch', 'aarch64', 'arm', '--interval', '0.2', '--json']);
      try {
        await instance.sh(`echo 0 > ${BINFMT}/qemu-aarch64`);
        await within(
          5_000,
          'aarch64 enabled again',
          async () => (await instance.readEntry('qemu-aarch64'))?.startsWith('enabled') === true,
        );
        await instance.sh(`echo -1 > ${BINFMT}/qemu-arm`);
        await within(5_000, 'arm back', async () => (await instance.entryNames()).includes('qemu-arm'));
        await instance.sh(`echo -1 > ${BINFMT}/qemu-aarch64`);
        await instance.registerRaw(lineFor('aarch64', 'qemu-aarch64', '/usr/bin/qemu-aarch64').trimEnd());
        await new Promise((r) => setTimeout(r, 800));
      } finally {
        watch.kill('SIGTERM');
      }
      const ended = await watch;
      const events = String(ended.stdout)
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { entry?: string; code?: string; did: string });
      seen.push(['watch', ended.exitCode, events.map((e) => [e.entry, e.code, e.did])]);
    } finally {
      await instance.stop();
    }
    return seen;
  }

  it('every condition and error said as its code: the same exit codes, the same JSON but for the words, the same watch decisions', async function () {
    const words = await scenario(this, {});
    const codes = await scenario(this, { [CODES_ONLY_HOOK]: 'codes' });
    expect(codes).to.deep.equal(words);
    // And the swap did change the words.
    const enabled = await (async () => {
      const instance = await PrivateInstance.start(this);
      try {
        return (await instance.cli(['enable', 'aarch64', '--credentials'], { [CODES_ONLY_HOOK]: 'codes' })).stderr;
      } finally {
        await instance.stop();
      }
    })();
    expect(enabled.split('\n').filter((l) => l.startsWith('warning:'))).to.have.members(['warning: PRIVATE_TABLE', 'warning: CREDENTIALS']);
  });
});
