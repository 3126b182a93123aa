import { expect } from 'chai';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLATFORMS } from '../../src/table/platforms.js';
import { foreign, ROOT, skipOrFail, SYSTEMD_BINFMT, UPDATE_BINFMTS } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';

/**
 * A stock Debian table: the distribution's own qemu-<platform> entries loaded by its real loader
 * (systemd-binfmt from binfmt.d files, or update-binfmts from binfmt-support formats) in a private
 * instance, then every command a user runs on it, with real foreign programs run after each step.
 */
const DEBIAN13 = join(ROOT, '.cache/debian13/usr/lib/binfmt.d');

/** The distribution's files of each table, as its loader finds them (Debian 13's are links). */
const TABLES: Array<{ name: string; files: () => string[]; via: 'systemd-binfmt' | 'update-binfmts' }> = [
  {
    name: "Debian 12's qemu-user-static (binfmt.d, systemd-binfmt)",
    files: () => list('/usr/lib/binfmt.d'),
    via: 'systemd-binfmt',
  },
  {
    name: "Debian 13's qemu-user-binfmt (links into qemu-user's /usr/share/qemu/binfmt.d, systemd-binfmt)",
    files: () => list(DEBIAN13).map((f) => realpathSync(f)),
    via: 'systemd-binfmt',
  },
  {
    name: "Debian 12's binfmt-support formats (/usr/share/binfmts, update-binfmts)",
    files: () => list('/usr/share/binfmts').map((f) => f.replace(/^.*\//, '')),
    via: 'update-binfmts',
  },
];

const OUR_ENTRIES = new Set(PLATFORMS.map((p) => p.entryName));
const ours = (entry: string) => OUR_ENTRIES.has(entry);

function list(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /^qemu-/.test(n))
        .map((n) => join(dir, n))
    : [];
}

/** What the platforms' programs print under the table: each busybox's uname -m, or the error. */
const PROGRAMS = [
  ['busybox-arm64', 'aarch64'],
  ['busybox-armhf', 'armv7l'],
  ['busybox-s390x', 's390x'],
  ['busybox-mipsel', 'mips'],
] as const;

interface Finding {
  code: string;
  platform?: string;
  entry?: string;
  problem: string;
}
interface Envelope {
  ok: boolean;
  results: Array<Record<string, unknown>>;
  problems: Finding[];
  warnings: Finding[];
}

describe('distribution tables: a stock Debian host whose own qemu entries are loaded (private instances)', function () {
  this.timeout(180_000);

  for (const table of TABLES) {
    describe(table.name, () => {
      let instance: PrivateInstance;
      let admin = '';
      /** The distribution's entries as loaded, by name, before qemu-binfmt touched anything. */
      let loaded: string[] = [];
      let programs: string[] = [];

      before(async function () {
        const files = table.files();
        if (!files.length) skipOrFail(this, `the distribution's files are missing: run scripts/setup.sh (make test does)`);
        if (table.via === 'systemd-binfmt' && !SYSTEMD_BINFMT) skipOrFail(this, 'systemd-binfmt is missing: apt-get install systemd');
        if (table.via === 'update-binfmts' && !existsSync(UPDATE_BINFMTS)) skipOrFail(this, `${UPDATE_BINFMTS} is missing`);
        programs = PROGRAMS.map(([program]) => foreign(this, program));
        instance = await PrivateInstance.start(this);
        admin = await mkdtemp(join(tmpdir(), 'qemu-binfmt-admindir-'));
        // A file naming an interpreter this host lacks fails to load; the others load.
        await instance.sh(
          table.via === 'systemd-binfmt'
            ? `${SYSTEMD_BINFMT} ${files.join(' ')}`
            : `for f in ${files.join(' ')}; do ${UPDATE_BINFMTS} --admindir ${admin} --importdir /usr/share/binfmts --import $f; done`,
        );
        loaded = await instance.entryNames();
        expect(loaded.length, 'the distribution loaded its entries').to.be.at.least(20);
      });
      after(async () => {
        await instance?.stop();
        if (admin) await rm(admin, { recursive: true, force: true });
      });

      const cli = async (args: string[]) => {
        const r = await instance.cli([...args, '--json']);
        return { exitCode: r.exitCode, stderr: r.stderr, out: JSON.parse(r.stdout) as Envelope };
      };
      const runs = async () => {
        const seen: string[] = [];
        for (const program of programs) seen.push((await instance.sh(`${program} uname -m 2>&1`)).stdout.trim());
        return seen;
      };
      const works = PROGRAMS.map(([, machine]) => machine);

      it('enable all keeps the distribution entries that differ (a warning each, with what differs), exit 0; every program runs', async () => {
        const r = await cli(['enable', 'all']);
        expect(r.exitCode, JSON.stringify(r.out.problems)).to.equal(0);
        const kept = r.out.warnings.filter((w) => w.code === 'DISTRIBUTION_KEPT');
        expect(kept.length).to.be.at.least(10);
        expect(r.out.results.filter((x) => x.outcome === 'kept').map((x) => x.entry)).to.deep.equal(kept.map((w) => w.entry));
        expect(kept.find((w) => w.entry === 'qemu-s390x')?.problem).to.match(/byte 7 \(EI_OSABI\): theirs also checks bits 0xfc/);
        expect(await runs()).to.deep.equal(works);
      });

      it('enable all --verify probes them, test all passes, and status --check all is ok', async () => {
        const verified = await cli(['enable', 'all', '--verify']);
        expect(verified.exitCode, JSON.stringify(verified.out.problems)).to.equal(0);
        const tested = await cli(['test', 'all']);
        expect(tested.exitCode, JSON.stringify(tested.out.problems)).to.equal(0);
        expect(tested.out.results.map((x) => x.entry)).to.include.members(['qemu-microblaze', 'qemu-microblaze-em189']);
        expect((await instance.cli(['status', '--check', 'all'])).exitCode).to.equal(0);
        expect(await runs()).to.deep.equal(works);
      });

      it("doctor finds no problem and counts the distribution's files as persistence", async () => {
        const r = await cli(['doctor']);
        expect(r.exitCode, JSON.stringify(r.out.problems)).to.equal(0);
        const facts = r.out.results as unknown as string[];
        const lost = facts.find((f) => f.startsWith('not persisted')) ?? '';
        if (table.name.startsWith("Debian 12's qemu-user-static")) {
          expect(facts.find((f) => f.startsWith("registered at boot by the distribution's files"))).to.include(
            'qemu-arm (/usr/lib/binfmt.d/qemu-arm.conf)',
          );
          expect(lost).to.not.match(/\barm\b|\bs390x\b|\bmips\b/);
        }
        const status = await cli(['status']);
        const arm = status.out.results.find((p) => p.platform === 'arm');
        if (table.name.startsWith("Debian 12's qemu-user-static"))
          expect(arm).to.include({ persisted: '/usr/lib/binfmt.d/qemu-arm.conf', persistedBy: 'distribution' });
        if (table.name.startsWith("Debian 13's")) {
          // Debian 13's files in an image tree of them: the links resolve inside it.
          const image = join(DEBIAN13, '../../..');
          const inImage = (await cli(['status', '--root', image])).out.results.find((p) => p.platform === 's390x');
          expect(inImage).to.include({ persisted: join(image, 'usr/lib/binfmt.d/qemu-s390x.conf'), persistedBy: 'distribution' });
        }
      });

      it('disable all removes the entries identical to ours and keeps the others, saying how to switch them off', async () => {
        const r = await cli(['disable', 'all']);
        expect(r.exitCode, JSON.stringify(r.out.problems)).to.equal(0);
        const stays = r.out.warnings.filter((w) => w.code === 'DISTRIBUTION_STAYS').map((w) => w.entry);
        expect(stays.length).to.be.at.least(10);
        // Entries of platforms QEMU no longer has (qemu-cris) are no platform of ours: left alone too.
        expect((await instance.entryNames()).filter(ours).sort()).to.deep.equal([...stays].sort());
        const [arm64, , s390x] = await runs();
        expect(arm64, "arm64's entry was ours in all but name: removed").to.match(/Exec format error/);
        expect(s390x, "s390x's differs: the distribution's stays").to.equal('s390x');
      });

      it("enable all --force replaces the distribution's with ours, warning that its loader puts them back", async () => {
        await instance.removeEntries();
        await instance.sh(
          table.via === 'systemd-binfmt'
            ? `${SYSTEMD_BINFMT} ${table.files().join(' ')}`
            : `for f in ${table.files().join(' ')}; do ${UPDATE_BINFMTS} --admindir ${admin} --importdir /usr/share/binfmts --enable $f; done`,
        );
        expect((await instance.entryNames()).sort()).to.deep.equal([...loaded].sort());
        const r = await cli(['enable', 'all', '--force']);
        expect(r.exitCode, JSON.stringify(r.out.problems)).to.equal(0);
        const reloads = r.out.warnings.filter((w) => w.code === 'DISTRIBUTION_RELOADS');
        expect(reloads.length).to.be.at.least(10);
        expect(reloads[0]!.problem).to.match(/registers its own again at the next boot or flush/);
        expect((await instance.cli(['status', '--check', 'all'])).exitCode).to.equal(0);
        const left = (await instance.sh(`grep -l binfmt-P ${BINFMT}/qemu-* || true`)).stdout.split('\n').filter(Boolean);
        expect(left.map((f) => f.replace(/^.*\//, '')).filter(ours), 'every entry of our platforms is ours now').to.deep.equal([]);
        expect(await runs()).to.deep.equal(works);
      });
    });
  }
});
