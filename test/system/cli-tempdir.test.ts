import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { machine, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PLAIN_DIR_HOOK } from '../../src/kernel/binfmt-dir.js';
import { runCli as runAny } from '../helpers/cli.js';
import { CLI, skipOrFail } from '../helpers/paths.js';

// A temp directory laid out like binfmt_misc. The kernel does nothing here, so these tests check
// parsing, what is written where, and exit codes; the real kernel is in cli-kernel.test.ts.
const OURS = [
  'enabled',
  'interpreter /opt/missing/qemu-aarch64-static',
  'flags: PF',
  'offset 0',
  'magic 7f454c460201010000000000000000000200b700',
  'mask ffffffffffffff00fffffffffffffffffeffffff',
  '',
].join('\n');
const NOT_OURS = OURS.replace('aarch64', 'arm').replace('mask ffffffffffffff00', 'mask ffffffffffffffff');
const PYTHON = 'enabled\ninterpreter /usr/bin/python3.11\nflags: \noffset 0\nmagic a70d0d0a\n';

/** The CLI with the test hook that lets a plain directory stand in for binfmt_misc. */
const runCli: typeof runAny = (args, options = {}) => runAny(args, { ...options, env: { [PLAIN_DIR_HOOK]: '1', ...options.env } });

describe('CLI on a temp directory', () => {
  let root: string;
  let dir: string;
  let interpreters: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-cli-'));
    dir = join(root, 'binfmt_misc');
    interpreters = join(root, 'bin');
    await mkdir(dir);
    await mkdir(interpreters);
    await writeFile(join(dir, 'register'), '');
    await writeFile(join(dir, 'status'), 'enabled\n');
    await writeFile(join(dir, 'qemu-aarch64'), OURS);
    await writeFile(join(dir, 'qemu-arm'), NOT_OURS);
    await writeFile(join(dir, 'python3.11'), PYTHON);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** Links Debian's real emulator into the interpreter directory (a skip, or a CI failure, without it). */
  async function linkEmulator(ctx: Mocha.Context, name: string): Promise<void> {
    const target = `/usr/bin/${name}`;
    if (!existsSync(target)) skipOrFail(ctx, `${target} is missing: apt-get install qemu-user-static`);
    await symlink(target, join(interpreters, name));
  }

  const files = async () =>
    Object.fromEntries(await Promise.all((await readdir(dir)).sort().map(async (n) => [n, await readFile(join(dir, n), 'utf8')])));

  it('status reads entries, flags what differs from the table, and lists other entries as foreign', async () => {
    const r = await runCli(['status', 'arm', 'aarch64', 'riscv64', '--binfmt-dir', dir, '--root', root]);
    expect(r.exitCode).to.equal(0);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal(
      [
        `binfmt_misc: ${dir} (enabled)`,
        'PLATFORM  ENTRY         STATE    FLAGS  INTERPRETER                       NOTES',
        'arm       qemu-arm      enabled  PF     /opt/missing/qemu-arm-static      interpreter missing, magic/mask differ from our table',
        'aarch64   qemu-aarch64  enabled  PF     /opt/missing/qemu-aarch64-static  interpreter missing',
        'riscv64   -             absent   -      -',
        "other entries (not qemu-binfmt's, never touched):",
        '  python3.11  enabled  -  /usr/bin/python3.11',
      ].join('\n'),
    );
  });

  it('status --json has the documented shape', async () => {
    const r = await runCli(['status', '--json', '--binfmt-dir', dir, '--root', root]);
    expect(r.exitCode).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(report).to.include({ ok: true, command: 'status' });
    expect(report.details).to.include({ binfmtDir: dir, mounted: true, kernelEnabled: true });
    // One row per entry: microblaze and microblazeel have two each.
    expect(report.results).to.have.length(36);
    expect(report.results.find((p: { platform: string }) => p.platform === 'aarch64')).to.deep.equal({
      platform: 'aarch64',
      entry: 'qemu-aarch64',
      registered: true,
      enabled: true,
      interpreter: '/opt/missing/qemu-aarch64-static',
      interpreterPresent: false,
      interpreterStatic: null,
      flags: 'PF',
      matchesTable: true,
      native: false,
      nativeReason: null,
      nativeDetail: null,
      sandboxVisible: null,
      persisted: null,
      persistedBy: null,
      drift: null,
      driftDetail: null,
      // qemu-arm's loose rule claims aarch64 programs too; this plain directory runs nothing to tell which wins.
      servedBy: { entry: 'qemu-aarch64', interpreter: '/opt/missing/qemu-aarch64-static', ours: true, undecided: true },
    });
    expect(report.details.foreign).to.deep.equal([
      { name: 'python3.11', enabled: true, interpreter: '/usr/bin/python3.11', flags: '', type: 'magic' },
    ]);
  });

  it('disable all writes -1 only to entries that are ours, and leaves the rest alone', async () => {
    const r = await runCli(['disable', 'all', '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout.split('\n').slice(0, 3)).to.deep.equal([
      'qemu-arm: kept: /opt/missing/qemu-arm-static',
      "  its magic and mask are not qemu-binfmt's for arm, so it was left alone; --force removes it anyway",
      'qemu-aarch64: removed: /opt/missing/qemu-aarch64-static',
    ]);
    expect(await files()).to.deep.equal({
      'python3.11': PYTHON,
      'qemu-aarch64': '-1',
      'qemu-arm': NOT_OURS,
      register: '',
      status: 'enabled\n',
    });
  });

  it('enable writes one line to register, and fails honestly when it cannot read the entry back', async function () {
    await rm(join(dir, 'qemu-aarch64'));
    await linkEmulator(this, 'qemu-riscv64-static');
    const r = await runCli(['enable', 'riscv64', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    const line = `:qemu-riscv64:M:0:${'\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xf3\\x00'}:${'\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff'}:${interpreters}/qemu-riscv64-static:PF\n`;
    expect((await files()).register).to.equal(line);
    expect(r.stdout).to.equal(
      [
        `qemu-riscv64: failed: wrote qemu-riscv64 to ${dir}/register, but ${dir}/qemu-riscv64 does not exist`,
        `  hint: ${dir} may not be binfmt_misc (an autofs point not yet mounted, or a plain directory); check with: mount | grep binfmt_misc`,
      ].join('\n'),
    );
    expect(r.stderr).to.equal('qemu-binfmt: 1 of 1 failed');
  });

  it('enable --dry-run prints the line and its checks and writes nothing', async function () {
    await rm(join(dir, 'qemu-aarch64'));
    await linkEmulator(this, 'qemu-aarch64-static');
    const before = await files();
    const r = await runCli(['enable', 'arm64', '--dry-run', '--no-preserve-argv0', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(0);
    const line = `:qemu-aarch64:M:0:\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:${interpreters}/qemu-aarch64-static:F`;
    expect(r.stdout.split('\n')).to.deep.equal([
      `qemu-aarch64: would enable: ${interpreters}/qemu-aarch64-static flags=F`,
      `  line: ${line}`,
      `  checks: line meets the kernel's rules (${line.length + 1} bytes); interpreter is statically linked`,
    ]);
    expect(await files()).to.deep.equal(before);
  });

  it('enable reports a same-named entry that differs, field by field, and keeps it', async function () {
    await linkEmulator(this, 'qemu-aarch64-static');
    const before = await files();
    const r = await runCli(['enable', 'aarch64', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal(
      [
        `qemu-aarch64: failed: entry qemu-aarch64 exists and differs: interpreter /opt/missing/qemu-aarch64-static (ours: ${interpreters}/qemu-aarch64-static)`,
        '  hint: it was kept; add --force to replace it',
      ].join('\n'),
    );
    expect(await files()).to.deep.equal(before);
  });

  it('enable --force that cannot read its entry back says the previous one is lost, and gives its line', async function () {
    // A plain directory shows no entry after a register write, so the put-back cannot be verified.
    await linkEmulator(this, 'qemu-aarch64-static');
    const r = await runCli(['enable', 'aarch64', '--force', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    const magic = '\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
    const mask = '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';
    const oldLine = `:qemu-aarch64:M:0:${magic}:${mask}:/opt/missing/qemu-aarch64-static:PF`;
    expect(r.stdout.split('\n')[0]).to.equal(
      `qemu-aarch64: failed: wrote qemu-aarch64 to ${dir}/register, but ${dir}/qemu-aarch64 does not exist (the previous entry was LOST (it is not there after registering it again); its line was ${oldLine})`,
    );
    expect((await files()).register).to.equal(`${oldLine}\n`);
  });

  it('a user without write access gets EACCES, the file, and what to do', async function () {
    if (process.getuid?.() !== 0) this.skip();
    await linkEmulator(this, 'qemu-riscv64-static');
    await chmod(root, 0o755);
    await chmod(dir, 0o755);
    await chmod(interpreters, 0o755);
    await chmod(join(dir, 'register'), 0o200);
    // A copy of the self-contained bundle, readable by the unprivileged user wherever the checkout is.
    await cp(dirname(CLI), join(root, 'dist'), { recursive: true });
    const r = await runCli(['enable', 'riscv64', '--interpreter-dir', interpreters, '--binfmt-dir', dir], {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      cli: join(root, 'dist/cli.js'),
    });
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal(
      [
        `qemu-riscv64: failed: cannot open ${dir}/register: EACCES: permission denied, open '${dir}/register'`,
        '  hint: run as root (sudo), or in a container started with --privileged (or --cap-add SYS_ADMIN)',
      ].join('\n'),
    );
  });

  it('status says when the kernel has binfmt_misc switched off, and keeps entries with flags it does not know', async () => {
    await writeFile(join(dir, 'status'), 'disabled\n');
    await writeFile(join(dir, 'future'), 'enabled\ninterpreter /usr/bin/future\nflags: PZ\noffset 0\nmagic 0102\n');
    const r = await runCli(['status', 'riscv64', '--binfmt-dir', dir]);
    expect(r.stdout.split('\n')[0]).to.equal(`binfmt_misc: ${dir} (DISABLED: no entry is used)`);
    expect(r.stdout).to.include('  future      enabled  PZ  /usr/bin/future');
    const json = await runCli(['status', '--json', '--binfmt-dir', dir]);
    expect(json.exitCode, 'switched off is a problem').to.equal(1);
    expect(JSON.parse(json.stdout)).to.deep.include({ ok: false, problems: [JSON.parse(json.stdout).problems[0]] });
    expect(JSON.parse(json.stdout).problems.map((p: { code: string }) => p.code)).to.deep.equal(['SWITCHED_OFF']);
    expect(JSON.parse(json.stdout).details.kernelEnabled).to.equal(false);
  });

  it('enable all that finds no interpreter at all fails (exit 1) instead of reporting success', async () => {
    const r = await runCli(['enable', 'all', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(`^qemu-binfmt: no interpreter found for any platform \\(looked in ${interpreters}\\)\nhint: install QEMU`),
    );
  });

  it('enable --json reports every target, failures included, and still does the others', async function () {
    await rm(join(dir, 'qemu-aarch64'));
    await linkEmulator(this, 'qemu-riscv64-static');
    const r = await runCli(['enable', 'riscv64', 'hexagon', '--dry-run', '--json', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    const report = JSON.parse(r.stdout);
    expect(report).to.include({ command: 'enable', ok: false });
    expect(report.details).to.include({ dryRun: true, binfmtDir: dir });
    expect(report.results.map((x: { platform: string; outcome: string }) => [x.platform, x.outcome])).to.deep.equal([
      ['riscv64', 'would-enable'],
      ['hexagon', 'failed'],
    ]);
    expect(report.problems).to.have.length(1);
    expect(report.problems[0]).to.include({ code: 'INTERPRETER_NOT_FOUND', platform: 'hexagon', entry: 'qemu-hexagon' });
  });

  describe('bad input: exit 2, a message that names the problem, nothing written', () => {
    const cases: Array<[string, string[], string]> = [
      [
        'an unknown platform',
        ['enable', 'aarch46'],
        'qemu-binfmt: unknown platform aarch46 (aarch46: did you mean aarch64?)\nhint: valid names: i386 i486 x86_64 alpha arm armeb sparc sparc32plus sparc64 ppc ppc64 ppc64le m68k mips mipsel mipsn32 mipsn32el mips64 mips64el sh4 sh4eb s390x aarch64 aarch64_be hppa riscv32 riscv64 xtensa xtensaeb microblaze microblazeel or1k hexagon loongarch64 (aliases: qemu-binfmt platforms)\n',
      ],
      [
        '--interpreter with two platforms',
        ['enable', 'arm', 'aarch64', '--interpreter', '/usr/bin/qemu-arm-static'],
        'qemu-binfmt: --interpreter names the interpreter of one platform\nhint: name exactly one platform, or use --interpreter-dir DIR\n',
      ],
      ['an unknown option', ['enable', 'arm', '--fix'], 'qemu-binfmt: enable has no option --fix\nhint: did you mean --fix-binary?\n'],
      ['no command', [], 'qemu-binfmt: name a command\nhint: see qemu-binfmt --help\n'],
      [
        '--interpreter that is a directory',
        ['enable', 'aarch64', '--interpreter', '/usr/bin'],
        'qemu-binfmt: --interpreter /usr/bin is not an executable file\nhint: name the emulator binary itself, e.g. /usr/bin/qemu-aarch64-static\n',
      ],
    ];
    for (const [what, args, stderr] of cases) {
      it(what, async () => {
        const before = await files();
        const r = await runCli([...args, '--binfmt-dir', dir]);
        expect(r.exitCode).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(`${r.stderr}\n`).to.equal(stderr);
        expect(await files()).to.deep.equal(before);
      });
    }

    it("a platform whose rule matches this host's own executables, even with --include-native", async function () {
      if (machine() !== 'x86_64') this.skip();
      const r = await runCli(['enable', 'amd64', '--include-native', '--binfmt-dir', dir]);
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.equal(
        "qemu-binfmt: refusing x86_64: its rule matches this host's own /proc/self/exe; registering it would run host programs through QEMU\nhint: this is never allowed",
      );
    });

    it("a platform of the host's family without --include-native", async () => {
      const r = await runCli(['enable', 'arm', '--binfmt-dir', dir], { env: { QEMU_BINFMT_HOST_ARCH: 'aarch64' } });
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.equal(
        'qemu-binfmt: refusing arm: the host (aarch64) is of the arm family and runs it natively\nhint: add --include-native to register it anyway',
      );
    });

    it('F with a dynamically linked interpreter', async () => {
      await symlink('/bin/ls', join(interpreters, 'qemu-aarch64'));
      const r = await runCli(['enable', 'aarch64', '--fix-binary', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
      expect(r.exitCode).to.equal(2);
      expect(r.stderr).to.equal(
        `qemu-binfmt: aarch64: ${interpreters}/qemu-aarch64 is dynamically linked (or not ELF); with F it fails inside chroots and containers, where its libraries are missing\nhint: install the static emulator (qemu-user-static), drop --fix-binary, or add --allow-dynamic`,
      );
    });
  });

  it('an explicitly named platform without an interpreter fails (exit 1) and says how to install one', async () => {
    const r = await runCli(['enable', 'hexagon', '--interpreter-dir', interpreters, '--binfmt-dir', dir]);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.equal(
      [
        `qemu-hexagon: failed: interpreter not found: looked for qemu-hexagon-static or qemu-hexagon in ${interpreters}`,
        '  hint: install QEMU user-mode emulators: apt-get install qemu-user-static (Debian, Ubuntu), dnf install qemu-user-static (Fedora), pacman -S qemu-user-static (Arch), apk add qemu-hexagon (Alpine); or name one with --interpreter PATH or --interpreter-dir DIR',
      ].join('\n'),
    );
  });

  it('without binfmt_misc mounted: enable and disable exit 1 with the fix, status says so', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    for (const args of [
      ['enable', 'aarch64'],
      ['disable', 'all'],
    ]) {
      const r = await runCli([...args, '--binfmt-dir', empty]);
      expect(r.exitCode, args.join(' ')).to.equal(1);
      expect(r.stderr).to.equal(
        `qemu-binfmt: binfmt_misc is not mounted at ${empty} (no ${empty}/register)\nhint: add --mount, or run: mount -t binfmt_misc binfmt_misc ${empty}`,
      );
    }
    const status = await runCli(['status', '--binfmt-dir', empty]);
    expect(status.exitCode).to.equal(1);
    expect(status.stderr).to.equal(`qemu-binfmt: binfmt_misc is not mounted at ${empty}: nothing is registered there`);
    expect(await readdir(empty)).to.deep.equal([]);
  });

  it('QEMU_BINFMT_DIR stands in for --binfmt-dir', async () => {
    const r = await runCli(['status', 'aarch64', '--json'], { env: { QEMU_BINFMT_DIR: dir } });
    expect(JSON.parse(r.stdout).details.binfmtDir).to.equal(dir);
  });
});
