import { expect } from 'chai';
import { copyFile, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPersisted } from '../../src/boot/persisted-registrations.js';
import { persist, type PersistOptions } from '../../src/operations/persist.js';
import { unpersist } from '../../src/operations/unpersist.js';
import { caughtAsync } from '../helpers/caught.js';
import { fakeInterpreterDir, lineFor } from '../helpers/memory.js';

/** persist and unpersist into image trees in temporary directories: files only, nothing registered. */
describe('operations/persist and unpersist, on temporary roots', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let root: string;
  before(async () => {
    fake = await fakeInterpreterDir();
  });
  after(() => fake.remove());
  /** An image tree with a boot system's marker and the emulators in its /usr/bin. */
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-persist-'));
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    for (const binary of ['qemu-aarch64', 'qemu-arm', 'qemu-riscv64'])
      await copyFile(join(fake.dir, `${binary}-static`), join(root, `usr/bin/${binary}-static`));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  const options = (extra: Partial<PersistOptions> = {}): PersistOptions => ({ root, command: ['qemu-binfmt'], ...extra });
  const exists = (path: string) =>
    stat(join(root, path)).then(
      () => true,
      () => false,
    );

  it('binfmt.d where systemd-binfmt is: one file per platform, read back as persisted; unpersist of one leaves the other', async () => {
    await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
    await writeFile(join(root, 'usr/lib/systemd/systemd-binfmt'), '');
    const report = await persist(['aarch64', 'arm'], options());
    expect(report).to.deep.include({ via: 'binfmt.d', linked: [], masked: [] });
    expect(report.written).to.deep.equal([join(root, 'etc/binfmt.d/qemu-arm.conf'), join(root, 'etc/binfmt.d/qemu-aarch64.conf')]);
    expect(report.enabled, 'nothing is registered for an image').to.equal(undefined);
    expect([...readPersisted(root).keys()].sort()).to.deep.equal(['qemu-aarch64', 'qemu-arm']);
    expect(await readFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.include(':/usr/bin/qemu-arm-static:');

    const un = await unpersist(['arm'], { root });
    expect(un).to.deep.include({ removed: [join(root, 'etc/binfmt.d/qemu-arm.conf')], kept: [] });
    expect(un.disabled).to.equal(undefined);
    expect([...readPersisted(root).keys()]).to.deep.equal(['qemu-aarch64']);
  });

  it('a systemd unit and its enabling link; unpersist keeps the unit while it registers a platform not named', async () => {
    await mkdir(join(root, 'usr/lib/systemd'), { recursive: true });
    const report = await persist(['aarch64', 'arm'], options({ via: 'unit' }));
    expect(report.written).to.deep.equal([join(root, 'etc/systemd/system/qemu-binfmt.service')]);
    expect(report.linked).to.deep.equal([join(root, 'etc/systemd/system/multi-user.target.wants/qemu-binfmt.service')]);
    expect(await readlink(report.linked[0]!)).to.equal('/etc/systemd/system/qemu-binfmt.service');
    const kept = await unpersist(['arm'], { root });
    expect(kept.kept).to.deep.equal([{ path: report.written[0], reason: 'it also registers qemu-aarch64' }]);
    const gone = await unpersist([], { root });
    expect(gone.removed.sort()).to.deep.equal([...report.linked, ...report.written].sort());
    expect(await exists('etc/systemd/system'), 'the directories it made are gone too').to.equal(false);
  });

  it('an OpenRC script and its runlevel link', async () => {
    await mkdir(join(root, 'sbin'));
    await writeFile(join(root, 'sbin/openrc-run'), '');
    const report = await persist(['riscv64'], options());
    expect(report.via).to.equal('openrc');
    expect(report.written).to.deep.equal([join(root, 'etc/init.d/qemu-binfmt')]);
    expect((await stat(report.written[0]!)).mode & 0o777).to.equal(0o755);
    expect(report.linked).to.deep.equal([join(root, 'etc/runlevels/default/qemu-binfmt')]);
    expect([...readPersisted(root).keys()]).to.deep.equal(['qemu-riscv64']);
  });

  it("an empty file is an administrator's mask: kept, said as a problem, replaced only with force", async () => {
    await mkdir(join(root, 'etc/binfmt.d'), { recursive: true });
    await writeFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), '');
    const report = await persist(['aarch64', 'arm'], options({ via: 'binfmt.d' }));
    expect(report.masked).to.deep.equal([join(root, 'etc/binfmt.d/qemu-arm.conf')]);
    expect(report.conditions.map((c) => [c.code, c.severity])).to.deep.include(['BOOT_FILE_MASKED', 'problem']);
    expect(await readFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), 'utf8')).to.equal('');
    const forced = await persist(['arm'], options({ via: 'binfmt.d', force: true }));
    expect(forced.written).to.deep.equal([join(root, 'etc/binfmt.d/qemu-arm.conf')]);
  });

  it("a file that is not ours at a boot file's path: refused before anything is written", async () => {
    await mkdir(join(root, 'etc/binfmt.d'), { recursive: true });
    await writeFile(join(root, 'etc/binfmt.d/qemu-arm.conf'), ':qemu-arm:M::\\x7fELF::/usr/bin/other:\n');
    const error = await caughtAsync(() => persist(['aarch64', 'arm'], options({ via: 'binfmt.d' })));
    expect(error.code).to.equal('EXISTS_DIFFERENT');
    expect(await exists('etc/binfmt.d/qemu-aarch64.conf')).to.equal(false);
    expect((await unpersist([], { root })).removed, "unpersist never removes another's file").to.deep.equal([]);
  });
  it('preferences in an image: ours last where it must win, the usual name where it falls back, left out where not named; the stale file removed', async () => {
    const prefer = (line: readonly string[]) => options({ via: 'binfmt.d', preferences: new Map([['riscv64', line]]) });
    const dir = join(root, 'etc/binfmt.d');
    const last = await persist(['riscv64'], prefer(['qemu', 'rosetta']));
    expect(last.written, 'after rosetta.conf in name order').to.deep.equal([join(dir, 'zz-qemu-riscv64.conf')]);
    expect([...readPersisted(root).keys()]).to.deep.equal(['qemu-riscv64']);
    const fallback = await persist(['riscv64'], prefer(['rosetta', 'qemu']));
    expect([fallback.written, fallback.removed]).to.deep.equal([[join(dir, 'qemu-riscv64.conf')], [join(dir, 'zz-qemu-riscv64.conf')]]);
    const none = await persist(['riscv64', 'aarch64'], prefer(['rosetta']));
    expect([none.written, none.removed]).to.deep.equal([[join(dir, 'qemu-aarch64.conf')], [join(dir, 'qemu-riscv64.conf')]]);
    expect(none.conditions.map((c) => c.code)).to.include('NO_PREFERRED');
    // A unit decides at each boot (enable reads the image's preferences then): the platform stays in it.
    const unit = await persist(['riscv64'], { ...prefer(['rosetta', 'qemu']), via: 'unit' });
    expect(await readFile(unit.written[0]!, 'utf8')).to.match(/^ExecStart=.* riscv64$/m);
    // An administrator's mask of the usual name masks ours under the other too.
    await writeFile(join(dir, 'qemu-riscv64.conf'), '');
    const masked = await persist(['riscv64'], prefer(['qemu', 'rosetta']));
    expect([masked.written, masked.masked]).to.deep.equal([[], [join(dir, 'qemu-riscv64.conf')]]);
    expect(await exists('etc/binfmt.d/zz-qemu-riscv64.conf')).to.equal(false);
    expect((await unpersist([], { root })).removed.sort()).to.deep.equal(
      [join(dir, 'qemu-aarch64.conf'), unit.linked[0], unit.written[0]].sort(),
    );
  });
  it("another tool's boot files in the image count: a platform its entry will serve is left out; an administrator's file under either name stays in effect", async () => {
    const box64 = lineFor('riscv64', 'box64', '/usr/bin/box64');
    await mkdir(join(root, 'usr/lib/binfmt.d'), { recursive: true });
    await writeFile(join(root, 'usr/lib/binfmt.d/box64.conf'), box64);
    const prefer = (line: readonly string[]) => options({ via: 'binfmt.d', preferences: new Map([['riscv64', line]]) });
    for (const preferences of [undefined, ['box64', 'qemu']]) {
      const left = await persist(['riscv64', 'aarch64'], preferences ? prefer(preferences) : options({ via: 'binfmt.d' }));
      expect(left.written, String(preferences)).to.deep.equal([join(root, 'etc/binfmt.d/qemu-aarch64.conf')]);
      expect(left.conditions.map((c) => c.problem)).to.include(
        "riscv64 is served by box64 (/usr/bin/box64), another tool's: qemu-binfmt left riscv64 to it and registered nothing",
      );
    }
    // Ours wins: after box64.conf. An administrator's own qemu-riscv64.conf would still load, so nothing is written.
    const won = await persist(['riscv64'], prefer(['qemu', 'box64']));
    expect(won.written).to.deep.equal([join(root, 'etc/binfmt.d/zz-qemu-riscv64.conf')]);
    await writeFile(join(root, 'etc/binfmt.d/qemu-riscv64.conf'), lineFor('riscv64', 'qemu-riscv64', '/opt/qemu-riscv64'));
    expect((await caughtAsync(() => persist(['riscv64'], prefer(['qemu', 'box64'])))).code).to.equal('EXISTS_DIFFERENT');
    // What loads last counts: status reads ours, named to load after the administrator's.
    expect(readPersisted(root).get('qemu-riscv64')).to.deep.include({
      file: join(root, 'etc/binfmt.d/zz-qemu-riscv64.conf'),
      by: 'qemu-binfmt',
    });
    // A mask of the usual name: our earlier file under the other goes too.
    await writeFile(join(root, 'etc/binfmt.d/qemu-riscv64.conf'), '');
    const masked = await persist(['riscv64'], prefer(['qemu', 'box64']));
    expect([masked.written, masked.masked, masked.removed]).to.deep.equal([
      [],
      [join(root, 'etc/binfmt.d/qemu-riscv64.conf')],
      [join(root, 'etc/binfmt.d/zz-qemu-riscv64.conf')],
    ]);
  });
});
