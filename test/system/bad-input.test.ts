import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { shellQuote } from '../../src/boot/quote.js';
import { CLI } from '../helpers/paths.js';
import { PYTHON_LINE } from '../helpers/memory.js';
import { PrivateInstance } from '../helpers/private-instance.js';
import { badInputTree, NEVER_SHOWN, needsKernel, rowTitle, ROWS, T, tree } from '../helpers/bad-input-rows.js';

/**
 * The bad-input rows only the real kernel answers (the others run in process, in
 * test/commands/bad-input.test.ts): the built CLI in a private instance with another tool's entry
 * and one of ours registered. Each must give its exit code and a message that names the problem,
 * no stack trace, and leave the table and a watched temp tree exactly as they were.
 */
describe('bad input and faults on the real kernel: named errors, nothing written, no stack trace', function () {
  this.timeout(300_000);
  let instance: PrivateInstance | undefined;
  let root = '';

  before(async function () {
    instance = await PrivateInstance.start(this);
    root = await badInputTree();
    await instance.registerRaw(PYTHON_LINE.trimEnd());
    expect((await instance.cli(['enable', 'riscv64'])).exitCode).to.equal(0);
  });
  after(async () => {
    await instance?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  for (const r of ROWS.filter(needsKernel)) {
    it(`${rowTitle(r)}: exit ${r.code}`, async () => {
      const fill = (s: string) => s.replaceAll(T, root);
      const before = [await instance!.snapshot(), await tree(root)];
      const env = Object.fromEntries(Object.entries(r.env ?? {}).map(([k, v]) => [k, fill(v)]));
      const res = await instance!.cli(r.args.map(fill), env, { cwd: join(root, 'dir') });
      expect(res.stderr, 'stderr').to.match(r.message);
      expect(res.exitCode, res.stderr).to.equal(r.code);
      expect(res.stderr + res.stdout).to.not.match(NEVER_SHOWN);
      expect([await instance!.snapshot(), await tree(root)], 'the table and the tree are as they were').to.deep.equal(before);
    });
  }

  it('the built CLI writing to a full disk says so (exit 1), no stack', async () => {
    const res = await instance!.sh(`exec ${process.execPath} ${CLI} ${['platforms'].map(shellQuote).join(' ')} > /dev/full`);
    expect(res.exitCode).to.equal(1);
    expect(res.stderr).to.match(/^qemu-binfmt: cannot write to standard output \(ENOSPC\)\nhint: the disk the output goes to is full\n?$/);
  });

  it('a deleted working directory: --version still answers, a relative path is refused, no stack', async () => {
    const script = (args: string) =>
      `mkdir -p ${root}/gone && cd ${root}/gone && rmdir ${root}/gone && exec ${process.execPath} ${CLI} ${args}`;
    const version = await instance!.sh(script('--version'));
    expect([version.exitCode, version.stdout, version.stderr]).to.deep.equal([0, '0.1.0', '']);
    const relative = await instance!.sh(script('export aarch64 --format sh --output out'));
    expect(relative.exitCode).to.equal(2);
    expect(relative.stderr).to.match(/^qemu-binfmt: --output out: the working directory no longer exists/);
  });
});
