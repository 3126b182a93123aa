import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { parseFlagString } from '../../src/codec/flags.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { explain, type ExplainOptions } from '../../src/operations/explain.js';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';
import { findPlatform } from '../../src/table/platforms.js';
import { foreign } from '../helpers/paths.js';

const aarch64 = findPlatform('aarch64')!;
const QEMU = '/usr/bin/qemu-aarch64-static';
const line = (name: string, interpreter: string, flags: string, rule = aarch64.rule) =>
  formatRegisterLine({ name, rule, interpreter, flags: parseFlagString(flags)! });

describe('operations/explain, on the in-memory table', () => {
  let dir: string;
  let program: string;
  let table: MemoryBinfmtTable;
  let options: ExplainOptions;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-explain-'));
    program = join(dir, 'hello-arm64');
    await writeFile(program, probeElf(aarch64, probeRecord(aarch64)!));
    await chmod(program, 0o755);
    table = new MemoryBinfmtTable();
    options = { table, host: { machine: 'x86_64', executables: [] } };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const one = async (file = program, extra: Partial<ExplainOptions> = {}) => (await explain([file], { ...options, ...extra }))[0]!;

  it('no entry: Exec format error, and the command that fixes it', async () => {
    const e = await one();
    expect([e.runs, e.verdict, e.platform, e.fixes]).to.deep.equal([
      false,
      'Exec format error: no enabled binfmt_misc entry matches',
      'aarch64',
      ['qemu-binfmt enable aarch64', `or, without root and without registering anything: qemu-binfmt run aarch64 -- ${program}`],
    ]);
  });

  it('our entry with F and a static interpreter: runs through it', async () => {
    table.register(line('qemu-aarch64', QEMU, 'PF'));
    const e = await one();
    expect([e.runs, e.verdict, e.entry]).to.deep.equal([true, `runs through ${QEMU} (entry qemu-aarch64)`, 'qemu-aarch64']);
    expect(e.reasons).to.include('statically linked: it needs no loader or library');
  });

  it('a disabled entry, a switched-off table, and no mount are each named', async () => {
    table.register(line('qemu-aarch64', QEMU, 'F'));
    table.control('qemu-aarch64', '0');
    expect((await one()).reasons).to.include('entry qemu-aarch64 matches, but is disabled');
    table.control('qemu-aarch64', '1');
    table.setKernelEnabled(false);
    expect(await one()).to.include({
      verdict: `Exec format error: binfmt_misc is switched off as a whole (${table.dir}/status reads disabled): no entry runs anything`,
      code: 'SWITCHED_OFF',
    });
    expect((await one(program, { table: new MemoryBinfmtTable({ mounted: false }) })).verdict).to.match(
      /^Exec format error: binfmt_misc is not mounted at /,
    );
  });

  it('an entry whose mask does not match is named with the byte that fails', async () => {
    const rule = { ...aarch64.rule, magic: Uint8Array.from(aarch64.rule.magic, (b, i) => (i === 18 ? 0xb8 : b)) };
    table.register(line('qemu-aarch64', QEMU, 'F', rule));
    const e = await one();
    expect(e.reasons).to.include('entry qemu-aarch64 does not match it: mask at byte 18 (file 0xb7, magic 0xb8, mask 0xff)');
  });

  it('another entry claiming the same files is named; a stand-in table executes nothing to tell which wins', async () => {
    table.register(line('qemu-aarch64', QEMU, 'F'));
    table.register(line('fex-aarch64', '/usr/bin/FEX', 'F'));
    const e = await one();
    expect(e.reasons).to.include.members([
      `entries fex-aarch64, qemu-aarch64 all match; the kernel uses the one registered last, which the directory does not tell: ${table.dir} is not the table this process's execs go through, so nothing was executed to tell`,
      'assuming qemu-aarch64 below',
    ]);
  });

  it("a program of the host's family: its width against the kernel's 32-bit support, its layout against the page size", async function () {
    const i386 = findPlatform('i386')!;
    const x86 = join(dir, 'hello-i386');
    await writeFile(x86, probeElf(i386, probeRecord(i386)!));
    await chmod(x86, 0o755);
    expect((await one(x86, { kernel: { runs32: true } })).verdict).to.equal('runs natively');
    const off = await one(x86, { kernel: { runs32: false, runs32Why: 'the kernel is built without CONFIG_IA32_EMULATION' } });
    expect([off.verdict, off.fixes]).to.deep.equal([
      'Exec format error: no enabled binfmt_misc entry matches',
      ['qemu-binfmt enable i386 --include-native'],
    ]);
    expect(off.reasons).to.include('a 32-bit program, and this kernel runs none: the kernel is built without CONFIG_IA32_EMULATION');

    const x86_64 = findPlatform('x86_64')!;
    const wide = join(dir, 'hello-x86_64');
    await writeFile(wide, probeElf(x86_64, probeRecord(x86_64)!));
    await chmod(wide, 0o755);
    const on32 = await one(wide, { host: { machine: 'i686', executables: [] } });
    expect([on32.verdict, on32.fixes]).to.deep.equal([
      'Exec format error: no enabled binfmt_misc entry matches',
      ['qemu-binfmt enable x86_64 --include-native'],
    ]);
    expect(on32.reasons).to.include('a 64-bit program, and this i686 kernel is 32-bit');

    // Real Debian programs on an arm64 host: armhf is laid out for 4 KiB pages, arm64 for 64 KiB.
    const armhf = foreign(this, 'busybox-armhf');
    const arm64 = foreign(this, 'busybox-arm64');
    const host = { machine: 'aarch64', executables: [arm64] };
    const maybe = await one(armhf, { host, kernel: { pageSize: 4096, runs32: undefined, runs32Why: 'the CPU has AArch32 at EL0' } });
    expect([maybe.verdict, maybe.reasons.includes('a 32-bit program: it runs natively only if the CPU has AArch32 at EL0')]).to.deep.equal([
      'runs natively',
      true,
    ]);
    const big = await one(armhf, { host, kernel: { pageSize: 16384, runs32: true } });
    expect([big.runs, big.verdict, big.fixes]).to.deep.equal([
      false,
      "cannot run: its segments are laid out for pages of 4 KiB at most, and this kernel's pages are 16 KiB",
      ['rebuild it with -Wl,-z,max-page-size=16384, or run it under a kernel with 4 KiB pages'],
    ]);
    expect((await one(arm64, { host, kernel: { pageSize: 16384 } })).verdict).to.equal('runs natively');
  });

  it('without F, an interpreter missing in the root is No such file or directory', async () => {
    table.register(line('qemu-aarch64', QEMU, 'P'));
    const root = join(dir, 'root');
    await mkdir(root);
    const e = await one(program, { root });
    expect([e.runs, e.verdict]).to.deep.equal([false, `No such file or directory: the interpreter ${QEMU} is missing under ${root}`]);
  });

  it('a dynamically linked program whose loader is not in the root: the missing loader, not the program', async () => {
    const e = await one('/bin/ls', { root: dir });
    expect([e.runs, e.verdict]).to.deep.equal([false, `No such file or directory: /lib64/ld-linux-x86-64.so.2 is missing under ${dir}`]);
    expect((await one('/bin/ls')).verdict).to.equal('runs natively');
  });

  it('a script follows its #! line; a file that is not executable, or not a program, says so', async () => {
    const script = join(dir, 'run.sh');
    await writeFile(script, `#!${program}\n`);
    await chmod(script, 0o755);
    table.register(line('qemu-aarch64', QEMU, 'F'));
    expect((await one(script)).verdict).to.equal(`runs through ${QEMU} (entry qemu-aarch64) (the script's interpreter ${program})`);
    const plain = join(dir, 'notes.txt');
    await writeFile(plain, 'hello\n');
    const text = await one(plain);
    expect([text.verdict, text.fixes], 'no chmod for a file that is no program').to.deep.equal([
      `Permission denied: ${plain} is not executable, and it is not a program: it is a text file without a #! line: the kernel does not run it (a shell may, as a script)`,
      [],
    ]);
    await writeFile(join(dir, 'program'), await readFile(program));
    expect((await one(join(dir, 'program'))).fixes).to.deep.equal([`chmod +x ${join(dir, 'program')}`]);
    await chmod(plain, 0o755);
    expect((await one(plain)).verdict).to.match(/^Exec format error: .* is a text file without a #! line/);
    expect((await one(join(dir, 'nothing'))).verdict).to.equal(`No such file or directory: ${join(dir, 'nothing')}`);
    await symlink(join(dir, 'gone'), join(dir, 'dangling'));
    expect((await one(join(dir, 'dangling'))).verdict).to.equal(
      `No such file or directory: ${join(dir, 'dangling')} is a symbolic link to ${join(dir, 'gone')}, which does not exist`,
    );
  });
});
