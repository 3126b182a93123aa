import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATORS, skipOrFail } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';
import { measureWork, type Work } from '../helpers/strace.js';

/**
 * Work budgets, counted with strace on the built CLI in a private instance (deterministic, not
 * timed): interpreters are read for their headers only, no file is opened twice, and only the
 * named processes are started. No interpreter is ever run: on a first run, the version of an
 * emulator whose P support no -binfmt-P wrapper tells is read from its read-only data, once.
 */
const HEADER_BUDGET = 4096;
/** Beyond .rodata, reading the version reads the section headers and their names. */
const SECTION_TABLES = 64 * 1024;

/** The size of a file's .rodata section, by binutils' readelf. */
async function rodataSize(path: string): Promise<number> {
  const { stdout } = await execa('readelf', ['-SW', path]);
  const line = stdout.split('\n').find((l) => /\s\.rodata\s/.test(l));
  return line ? parseInt(line.trim().split(/\s+/)[5]!, 16) : 0;
}
/**
 * Files opened more than once by Node itself, or by design: register takes one write per entry;
 * /proc/self/fd/N[/NAME] names a step inside a directory held open, and N is reused for other
 * directories (bytes read are counted by the file a descriptor reaches all the same); / is read by
 * yargs (looking upwards for a package.json) and held (O_PATH: nothing read) where a walk starts.
 */
const MAY_REOPEN = [
  /\/binfmt_misc\/register$/,
  /^\/dev\/null$/,
  /^\/proc\/self\/maps$/,
  /\/package\.json$/,
  /^\/proc\/self\/fd\/\d+(\/|$)/,
  /^\/$/,
];
const isInterpreter = (path: string) => /^\/usr\/(bin\/qemu-|libexec\/qemu-binfmt\/)/.test(path) || path.startsWith(`${EMULATORS}/qemu-`);

function figures(work: Work): string {
  const interp = [...work.bytesRead].filter(([p]) => isInterpreter(p));
  const most = Math.max(0, ...interp.map(([, n]) => n));
  const total = interp.reduce((sum, [, n]) => sum + n, 0);
  return `${interp.length} interpreters, ${total} bytes read from them (at most ${most} from one), ${work.spawned.length} processes`;
}

async function assertBudget(work: Work, spawnBudget: number, versionsRead = false): Promise<void> {
  expect(work.exitCode).to.equal(0);
  for (const [path, bytes] of work.bytesRead) {
    if (!isInterpreter(path)) continue;
    const budget = versionsRead && bytes > HEADER_BUDGET ? HEADER_BUDGET + SECTION_TABLES + (await rodataSize(path)) : HEADER_BUDGET;
    expect(bytes, `bytes read from ${path}`).to.be.at.most(budget);
  }
  const twice = [...work.opens].filter(([path, n]) => n > 1 && !MAY_REOPEN.some((re) => re.test(path)));
  expect(twice, 'files opened more than once').to.deep.equal([]);
  expect(work.spawned, 'processes started').to.have.length.at.most(spawnBudget);
}

/**
 * In a user namespace of its own (as here), every command first checks that the binfmt_misc at
 * its path is that namespace's own and not a parent's showing through: its own is mounted at a
 * private place and unmounted again, two processes that the initial namespace never starts.
 */
const OWN_CHECK = ['/usr/bin/mount', '/usr/bin/umount'];

describe('work budgets (strace, private binfmt_misc instance)', function () {
  this.timeout(120_000);
  let instance: PrivateInstance | undefined;

  before(async function () {
    if (!existsSync('/usr/bin/strace')) skipOrFail(this, 'strace is missing: apt-get install strace (make test does)');
    if (!existsSync('/usr/bin/qemu-aarch64-static')) skipOrFail(this, 'qemu-user-static is missing (make test installs it)');
    instance = await PrivateInstance.start(this);
  });
  after(async () => {
    await instance?.stop();
  });

  let cache = '';
  before(async () => {
    cache = await mkdtemp(join(tmpdir(), 'qemu-binfmt-budget-cache-'));
  });
  after(() => rm(cache, { recursive: true, force: true }));

  // Each emulator's version (P support, and its known problems) is read once, while the cache
  // does not know it; the next run reads headers only.
  it('enable all with an empty cache: headers, and read-only data for a version; each file opened once; one process, the host self-test (and the own-instance check)', async function () {
    const work = await measureWork(['enable', 'all'], instance!.prefix, { QEMU_BINFMT_CACHE_DIR: cache });
    this.test!.title += ` [${figures(work)}]`;
    await assertBudget(work, 3, true);
    expect(work.spawned).to.deep.equal([...OWN_CHECK, '/bin/sh']);
    const emulators = [...work.bytesRead].filter(([p]) => isInterpreter(p));
    const versionsRead = emulators.filter(([, n]) => n > HEADER_BUDGET);
    expect(emulators.length, 'emulators read').to.be.greaterThan(25);
    expect(versionsRead.length, 'emulators whose version was read').to.equal(emulators.length);
  });

  it('enable all again (after disable all): one process, the host self-test', async function () {
    expect((await instance!.cli(['disable', 'all'])).exitCode).to.equal(0);
    const work = await measureWork(['enable', 'all'], instance!.prefix, { QEMU_BINFMT_CACHE_DIR: cache });
    this.test!.title += ` [${figures(work)}]`;
    await assertBudget(work, 3);
    expect(work.spawned).to.deep.equal([...OWN_CHECK, '/bin/sh']);
  });

  it('status: headers only, each file opened once, no process', async function () {
    const work = await measureWork(['status'], instance!.prefix);
    this.test!.title += ` [${figures(work)}]`;
    await assertBudget(work, 2);
    expect(work.spawned).to.deep.equal(OWN_CHECK);
  });

  it('disable all: reads no interpreter, opens each entry once, no process', async function () {
    const work = await measureWork(['disable', 'all'], instance!.prefix);
    this.test!.title += ` [${figures(work)}]`;
    await assertBudget(work, 2);
    expect(work.spawned).to.deep.equal(OWN_CHECK);
    expect([...work.bytesRead.keys()].filter(isInterpreter)).to.deep.equal([]);
  });
});
