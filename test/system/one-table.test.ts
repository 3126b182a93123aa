import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';
import { within } from '../helpers/wait.js';

/**
 * One table only: a command binds itself to the binfmt_misc instance it checked at its start,
 * and every write, read-back and removal goes to that instance, whatever is mounted at the path
 * meanwhile; a write the kernel never applies is a failure, not an "enabled".
 */
describe('one table only: the instance a command started with (real kernel, private instances)', function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let dir = '';

  beforeEach(async function () {
    instance = await PrivateInstance.start(this);
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-one-table-'));
  });
  afterEach(async () => {
    await instance?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('another instance mounted over the path in the middle of enable all: every write lands in the first', async () => {
    // A nested namespace with its own instance (the first), also bound at DIR/first; enable all
    // runs there with every write slowed down, and the outer instance (the second) is mounted
    // over the path while it runs, by a process of the outer namespace.
    const slow = `strace -f -qq -o /dev/null -e trace=write -e inject=write:delay_exit=100000 ${process.execPath} ${CLI} enable all --json`;
    const nested = [
      `mount -t binfmt_misc binfmt_misc ${BINFMT}`,
      `mkdir ${dir}/first && mount --bind ${BINFMT} ${dir}/first`,
      `echo $$ > ${dir}/pid`,
      `${slow} > ${dir}/out.json; echo $? > ${dir}/exit`,
      `ls ${dir}/first > ${dir}/first.txt; ls ${BINFMT} > ${dir}/seen.txt`,
    ].join(' && ');
    const running = instance.sh(`unshare --user --map-root-user --mount sh -c '${nested}'`);
    const inNested = async (script: string) => instance.sh(`nsenter -t $(cat ${dir}/pid) -m sh -c '${script}'`);
    await within(30_000, 'a few entries registered in the first instance', async () => {
      const listed = await inNested(`ls ${dir}/first 2>/dev/null | grep -c ^qemu-`).catch(() => undefined);
      return Number(listed?.stdout ?? 0) >= 3;
    });
    const swapped = await inNested(`mount -t binfmt_misc binfmt_misc ${BINFMT}`);
    expect(swapped.exitCode, swapped.stderr).to.equal(0);
    const done = await running;
    expect(done.exitCode, done.stderr).to.equal(0);
    expect((await readFile(join(dir, 'exit'), 'utf8')).trim(), await readFile(join(dir, 'out.json'), 'utf8')).to.equal('0');
    const report = JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')) as { results: Array<{ entry: string; outcome: string }> };
    const enabled = report.results.filter((r) => r.outcome === 'enabled').map((r) => r.entry);
    expect(enabled.length).to.be.at.least(25);
    const first = (await readFile(join(dir, 'first.txt'), 'utf8')).split('\n').filter((n) => n.startsWith('qemu-'));
    expect(first.sort(), 'every entry in the first instance').to.deep.equal([...enabled].sort());
    expect((await readFile(join(dir, 'seen.txt'), 'utf8')).split('\n').filter(Boolean), 'the path showed the second').to.deep.equal([
      'register',
      'status',
    ]);
    expect(await instance.entryNames(), 'nothing in the second instance').to.deep.equal([]);
  });

  it('register bound to /dev/null: the write is tried once more, then the platform fails with what was seen (exit 1)', async () => {
    const r = await instance.sh(`mount --bind /dev/null ${BINFMT}/register && ${process.execPath} ${CLI} enable aarch64 riscv64`);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout.split('\n')[0]).to.equal(
      `qemu-aarch64: failed: wrote qemu-aarch64 to ${BINFMT}/register twice, and both times ${BINFMT}/qemu-aarch64 was not there when read back: the kernel did not apply the write`,
    );
    expect(r.stdout).to.match(/^qemu-riscv64: failed: wrote qemu-riscv64 to .* twice/m);
    expect(r.stderr).to.match(/qemu-binfmt: 2 of 2 failed$/);
  });
});
