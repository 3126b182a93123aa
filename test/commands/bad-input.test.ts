import { expect } from 'chai';
import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { main } from '../../src/cli.js';
import { writeFd, type Io } from '../../src/commands/output.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { badInputTree, NEVER_SHOWN, needsKernel, rowTitle, ROWS, T, tree } from '../helpers/bad-input-rows.js';
import { PYTHON_LINE } from '../helpers/memory.js';

/**
 * Bad input and faults, one row each, in process: main(argv, io, { table }) on an in-memory table
 * holding another tool's entry and one of ours (the real kernel holds that table to its answers:
 * test/system/memory-table-kernel.test.ts). Every row must give its exit code and a message that
 * names the problem, no stack trace, and leave the table and a watched temp tree as they were.
 * The rows only the real kernel can answer run in test/system/bad-input.test.ts.
 */
describe('bad input and faults: named errors, nothing written, no stack trace (in process)', () => {
  let root = '';
  let table: MemoryBinfmtTable;

  before(async () => {
    root = await badInputTree();
    table = new MemoryBinfmtTable();
    table.register(PYTHON_LINE);
    expect(await main(['enable', 'riscv64'], { stdout: () => {}, stderr: () => {} }, { table })).to.equal(0);
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it(`has at least 100 rows here (${ROWS.filter((r) => !needsKernel(r)).length} of ${ROWS.length})`, () => {
    expect(ROWS.filter((r) => !needsKernel(r)).length).to.be.at.least(100);
  });

  for (const r of ROWS.filter((x) => !needsKernel(x))) {
    it(`${rowTitle(r)}: exit ${r.code}`, async () => {
      const fill = (s: string) => s.replaceAll(T, root);
      const before = [JSON.stringify(table.list()), table.writes.length, await tree(root)];
      const saved = Object.fromEntries(Object.keys(r.env ?? {}).map((k) => [k, process.env[k]]));
      Object.assign(process.env, Object.fromEntries(Object.entries(r.env ?? {}).map(([k, v]) => [k, fill(v)])));
      const out = { stdout: '', stderr: '' };
      const fd = r.stdoutFile ? openSync(r.stdoutFile, 'w') : undefined;
      const io: Io = {
        stdout: (t) => (fd === undefined ? void (out.stdout += t) : writeFd(fd, 'standard output', t)),
        stderr: (t) => void (out.stderr += t),
      };
      let code: number;
      try {
        code = await main(r.args.map(fill), io, { table });
      } finally {
        if (fd !== undefined) closeSync(fd);
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      expect(out.stderr, 'stderr').to.match(r.message);
      expect(code, out.stderr).to.equal(r.code);
      expect(out.stderr + out.stdout).to.not.match(NEVER_SHOWN);
      expect(
        [JSON.stringify(table.list()), table.writes.length, await tree(root)],
        'the table and the tree are as they were',
      ).to.deep.equal(before);
    });
  }
});
