import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BINFMT, hostTable, mountHostTable, PrivateInstance } from '../helpers/private-instance.js';
import { lineFor, PYTHON_LINE } from '../helpers/memory.js';
import { within } from '../helpers/wait.js';
import { emulator, literally, EMULATORS } from '../helpers/paths.js';

const ENTRIES = ['qemu-aarch64', 'qemu-arm'];
/** Another tool's same-named entry: the same rule, another interpreter, no flags. */
/** Another tool's qemu-aarch64 that hands aarch64 programs to arm's emulator: not the distribution's, and wrong. */
const OTHER = lineFor('aarch64', 'qemu-aarch64', '/usr/bin/qemu-arm-static').trimEnd();

/** qemu-binfmt watch ARGS, started inside the instance, in the background. */
const startWatch = (instance: PrivateInstance, args: readonly string[]) => instance.cliInBackground(['watch', ...args]);

describe('watch repairs drift, and status --check tells it (real kernel, private instances)', function () {
  this.timeout(60_000);

  it('brings back a removed entry, a flushed table and a disabled entry within 1 s; reports and keeps a differing one; SIGTERM leaves them', async function () {
    const instance = await PrivateInstance.start(this);
    const watch = startWatch(instance, ['aarch64', 'arm', '--interval', '0.2', '--json']);
    try {
      const ours = async () => {
        const names = await instance.entryNames();
        if (!ENTRIES.every((e) => names.includes(e))) return false;
        const texts = await Promise.all(ENTRIES.map((e) => instance.readEntry(e)));
        return texts.every(
          (t) => t?.startsWith('enabled\n') && new RegExp(`^interpreter ${literally(EMULATORS)}/qemu-[a-z0-9]+-static$`, 'm').test(t),
        );
      };
      await within(10_000, 'the first registration', ours);
      const start = Date.now();
      await instance.sh(`echo -1 > ${BINFMT}/qemu-arm`);
      await within(1_000, 'qemu-arm back after -1', ours);
      await instance.sh(`echo -1 > ${BINFMT}/status`);
      await within(1_000, 'both back after a flush of the whole table', ours);
      // Another tool's entry registered meanwhile survives everything watch does.
      await instance.registerRaw(PYTHON_LINE.trimEnd());
      await instance.sh(`echo 0 > ${BINFMT}/qemu-aarch64`);
      await within(1_000, 'qemu-aarch64 enabled again', ours);
      await instance.sh(`echo -1 > ${BINFMT}/qemu-aarch64`);
      await instance.registerRaw(OTHER);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await instance.readEntry('qemu-aarch64')).to.match(/^interpreter \/usr\/bin\/qemu-arm-static$/m);
      expect(Date.now() - start).to.be.below(10_000);
      watch.kill('SIGTERM');
      const ended = await watch;
      expect(ended.exitCode).to.equal(0);
      const events = String(ended.stdout)
        .split('\n')
        .map((l) => JSON.parse(l) as { entry?: string; found: string; did: string });
      const about = (entry: string) => events.filter((e) => e.entry === entry).map((e) => `${e.found} -> ${e.did}`);
      expect(about('qemu-arm')).to.deep.equal([
        `missing -> registered it (${emulator('qemu-arm')})`,
        `missing -> registered it (${emulator('qemu-arm')})`,
        `missing -> registered it (${emulator('qemu-arm')})`,
      ]);
      const aarch64 = about('qemu-aarch64');
      expect(aarch64.slice(0, 3)).to.deep.equal([
        `missing -> registered it (${emulator('qemu-aarch64')})`,
        `missing -> registered it (${emulator('qemu-aarch64')})`,
        'disabled -> enabled it',
      ]);
      // The differing entry is reported once, not at every check.
      expect(aarch64.slice(3)).to.have.length(1);
      expect(aarch64[3]).to.match(/^entry qemu-aarch64 exists and differs: .* -> kept it \(--force replaces it\)$/);
      expect(await instance.entryNames()).to.deep.equal(['python3.11', 'qemu-aarch64', 'qemu-arm']);
    } finally {
      watch.kill('SIGKILL');
      await instance.stop();
    }
  });

  it('with --force, a differing same-named entry is replaced', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      await instance.registerRaw(OTHER);
      const watch = startWatch(instance, ['aarch64', '--force', '--interval', '0.2']);
      await within(10_000, 'ours in place of the other', async () =>
        /qemu-aarch64-static$/m.test((await instance.readEntry('qemu-aarch64')) ?? ''),
      );
      watch.kill('SIGINT');
      expect((await watch).exitCode).to.equal(0);
      expect(await instance.readEntry('qemu-aarch64')).to.match(new RegExp(`^interpreter ${literally(emulator('qemu-aarch64'))}$`, 'm'));
    } finally {
      await instance.stop();
    }
  });

  it("with --mount, binfmt_misc unmounted under it is mounted again and the entries come back, never in the host's table that shows through; SIGHUP re-reads --platforms-file", async function () {
    // The host's binfmt_misc mounted (as systemd hosts have it), so that the instance's copy of that mount is what its path shows once its own is unmounted.
    const host = await mountHostTable();
    const hostBefore = await hostTable();
    const instance = await PrivateInstance.start(this);
    const list = join(await mkdtemp(join(tmpdir(), 'qemu-binfmt-watch-')), 'platforms');
    await writeFile(list, '# the platforms to keep\naarch64\n');
    const watch = startWatch(instance, ['--platforms-file', list, '--mount', '--interval', '0.2']);
    try {
      const has = (names: string[]) => async () => {
        const now = await instance.entryNames();
        return names.every((n) => now.includes(n));
      };
      await within(10_000, 'the first registration', has(['qemu-aarch64']));
      await instance.sh(`umount ${BINFMT}`);
      await within(2_000, 'mounted again, with the entry', has(['qemu-aarch64']));
      await writeFile(list, 'aarch64 arm\n');
      watch.kill('SIGHUP');
      await within(2_000, 'qemu-arm after SIGHUP', has(['qemu-aarch64', 'qemu-arm']));
      watch.kill('SIGTERM');
      const ended = await watch;
      expect(ended.exitCode).to.equal(0);
      expect(String(ended.stdout)).to.match(/mounted binfmt_misc on \/proc\/sys\/fs\/binfmt_misc \(it stays mounted\): noted/);
      expect(String(ended.stdout)).to.match(
        /showed another binfmt_misc instance \(binfmt_misc device \d+:\d+, mount \d+\) than the one this run started with \(binfmt_misc device \d+:\d+\); nothing was written to it/,
      );
      expect(await hostTable(), "the host's table").to.equal(hostBefore);
      expect(String(ended.stdout), String(ended.stdout)).to.match(new RegExp(`reloaded ${list} and the preferences: watching arm aarch64`));
    } finally {
      watch.kill('SIGKILL');
      await rm(dirname(list), { recursive: true, force: true });
      await instance.stop();
      await host.undo();
    }
  });

  it('status --check: 0 when all is in place, 1 after each kind of drift, naming it', async function () {
    const instance = await PrivateInstance.start(this);
    try {
      const check = () => instance.cli(['status', '--check', 'aarch64', 'arm']);
      expect((await instance.cli(['enable', 'aarch64', 'arm'])).exitCode).to.equal(0);
      expect(await check()).to.deep.include({ exitCode: 0, stdout: 'ok: arm aarch64' });
      const drifts: Array<[string, RegExp]> = [
        [`echo -1 > ${BINFMT}/qemu-arm`, /^arm: qemu-arm is not registered$/],
        [`echo -1 > ${BINFMT}/status`, /^arm: qemu-arm is not registered$/m],
        [`echo 0 > ${BINFMT}/qemu-aarch64`, /^aarch64: qemu-aarch64 is disabled$/],
        [
          `echo -1 > ${BINFMT}/qemu-aarch64 && printf '%s' '${OTHER}' > ${BINFMT}/register`,
          /^aarch64: qemu-aarch64 differs from what enable would write: interpreter/,
        ],
      ];
      for (const [drift, said] of drifts) {
        await instance.sh(drift);
        const r = await check();
        expect([drift, r.exitCode]).to.deep.equal([drift, 1]);
        expect(r.stdout).to.match(said);
        expect((await instance.cli(['enable', 'aarch64', 'arm', '--force'])).exitCode).to.equal(0);
        expect((await check()).exitCode).to.equal(0);
      }
      const probed = await instance.cli(['status', '--check', '--probe', 'aarch64', 'arm']);
      expect(probed).to.deep.include({ exitCode: 0 });
    } finally {
      await instance.stop();
    }
  });
});
