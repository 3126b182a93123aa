import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElfInfo } from '../../src/elf/header.js';
import { writeFakeQemu } from '../helpers/fake-qemu.js';
import { findInterpreter, inspectInterpreter } from '../../src/plan/interpreter.js';
import { chooseFlags } from '../../src/plan/plan.js';
import { findPlatform } from '../../src/table/platforms.js';
import { caught } from '../helpers/caught.js';
import { skipOrFail } from '../helpers/paths.js';

const aarch64 = findPlatform('aarch64')!;
const QEMU_STATIC = '/usr/bin/qemu-aarch64-static';

describe('interpreters', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-interp-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const fakeQemu = (name: string, version: string) => writeFakeQemu(join(dir, name), name.replace(/^.*qemu-/, ''), version);

  it('prefers qemu-<binary>-static over qemu-<binary>, and searches the directories in order', async () => {
    const other = join(dir, 'other');
    await (await import('node:fs/promises')).mkdir(other);
    await fakeQemu('qemu-aarch64', '8.0.0');
    expect(findInterpreter(aarch64, { searchDirs: [other, dir] })).to.equal(join(dir, 'qemu-aarch64'));
    await fakeQemu('other/qemu-aarch64-static', '8.0.0');
    expect(findInterpreter(aarch64, { searchDirs: [dir, other] })).to.equal(join(other, 'qemu-aarch64-static'));
    expect(findInterpreter(aarch64, { interpreterDir: dir })).to.equal(join(dir, 'qemu-aarch64'));
    expect(findInterpreter(findPlatform('riscv64')!, { interpreterDir: dir })).to.equal(undefined);
  });

  it('tells static from dynamic ELF by PT_INTERP', async function () {
    try {
      expect(readElfInfo(QEMU_STATIC).isStatic).to.equal(true);
    } catch {
      skipOrFail(this, `${QEMU_STATIC} is missing: apt-get install qemu-user-static`);
    }
    expect(readElfInfo('/bin/ls').isStatic).to.equal(false);
    const script = join(dir, 'script');
    await writeFile(script, '#!/bin/sh\n');
    expect(readElfInfo(script).isStatic).to.equal(false);
  });

  it('knows P support from the QEMU version it carries (>= 6) or a -binfmt-P wrapper, and never runs it', async () => {
    // A script that says a version when run, and leaves a mark: it is read, never run.
    const mark = join(dir, 'ran');
    const script = join(dir, 'qemu-arm');
    await writeFile(script, `#!/bin/sh\ntouch ${mark}\necho "qemu-arm version 9.0.0"\n`);
    await chmod(script, 0o755);
    expect(inspectInterpreter(script).supportsPreserveArgv0).to.equal(false);
    expect(existsSync(mark)).to.equal(false);
    expect(inspectInterpreter(await fakeQemu('qemu-aarch64', '5.2.0')).supportsPreserveArgv0).to.equal(false);
    expect(inspectInterpreter(await fakeQemu('qemu-riscv64', '6.0.0')).supportsPreserveArgv0).to.equal(true);
    const wrapper = join(dir, 'aarch64-binfmt-P');
    await symlink(join(dir, 'qemu-aarch64'), wrapper);
    expect(inspectInterpreter(wrapper).supportsPreserveArgv0).to.equal(true);
  });

  it('defaults F on for a static interpreter only, and refuses F with a dynamic one unless allowed', () => {
    const dynamic = { path: join(dir, 'qemu-aarch64'), isStatic: false, supportsPreserveArgv0: true, staticNonPie: false };
    const stat = { ...dynamic, isStatic: true };
    expect(chooseFlags(aarch64, stat, {})).to.deep.equal({ preserveArgv0: true, openBinary: false, credentials: false, fixBinary: true });
    expect(chooseFlags(aarch64, dynamic, {}).fixBinary).to.equal(false);
    const err = caught(() => chooseFlags(aarch64, dynamic, { fixBinary: true }));
    expect(err).to.include({ code: 'DYNAMIC_INTERPRETER', exitCode: 2 });
    expect(chooseFlags(aarch64, dynamic, { fixBinary: true, allowDynamic: true }).fixBinary).to.equal(true);
    expect(chooseFlags(aarch64, stat, { credentials: true })).to.include({ credentials: true, openBinary: true });
  });

  it('finds a copied real emulator in --interpreter-dir', async function () {
    try {
      await copyFile(QEMU_STATIC, join(dir, 'qemu-aarch64-static'));
    } catch {
      skipOrFail(this, `${QEMU_STATIC} is missing`);
    }
    await chmod(join(dir, 'qemu-aarch64-static'), 0o755);
    const info = inspectInterpreter(findInterpreter(aarch64, { interpreterDir: dir })!);
    expect(info).to.deep.include({
      path: join(dir, 'qemu-aarch64-static'),
      isStatic: true,
      supportsPreserveArgv0: true,
      staticNonPie: false,
    });
    expect(info.version, 'the version it carries, read from the file').to.match(/^\d+\.\d+\.\d+ /);
  });
});
