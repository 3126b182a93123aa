import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { parseFlagString } from '../../src/codec/flags.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { explain, type ExplainOptions } from '../../src/operations/explain.js';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';
import { findPlatform } from '../../src/table/platforms.js';

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
      ['qemu-binfmt enable aarch64'],
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
    expect((await one()).verdict).to.equal('Exec format error: binfmt_misc is switched off as a whole');
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

  it('another entry claiming the same files is named: the kernel uses the newest', async () => {
    table.register(line('qemu-aarch64', QEMU, 'F'));
    table.register(line('fex-aarch64', '/usr/bin/FEX', 'F'));
    const e = await one();
    expect(
      e.reasons.some((r) => r.startsWith('entries fex-aarch64, qemu-aarch64 all match; the kernel uses the one registered last')),
    ).to.equal(true);
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
    expect((await one(plain)).verdict).to.equal(`Permission denied: ${plain} is not executable`);
    await chmod(plain, 0o755);
    expect((await one(plain)).verdict).to.match(/^Exec format error: .* is a text file without a #! line/);
    expect((await one(join(dir, 'nothing'))).verdict).to.equal(`No such file or directory: ${join(dir, 'nothing')}`);
  });
});
