import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, foreign, ROOT } from '../helpers/paths.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/** The README's recipes marked as runnable here, each block as one sh -e script, with the exit code it says it ends with. */
async function recipes(): Promise<Array<{ script: string; exitCode: number }>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- recipe: runs in a private instance(?:, exits (\d))? -->\n```sh\n([\s\S]*?)```/g)].map((m) => ({
    script: m[2]!,
    exitCode: Number(m[1] ?? 0),
  }));
}

describe("the README's recipes, run as written in a private instance", function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let dir = '';
  before(async function () {
    instance = await PrivateInstance.start(this);
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-readme-'));
    // qemu-binfmt on PATH, sudo as a no-op (the instance's root is root already), and the recipes' arm64 program.
    await symlink(CLI, join(dir, 'qemu-binfmt'));
    await writeFile(join(dir, 'sudo'), '#!/bin/sh\nexec "$@"\n');
    await chmod(join(dir, 'sudo'), 0o755);
    await copyFile(foreign(this, 'busybox-arm64'), join(dir, 'busybox-arm64'));
  });
  after(async () => {
    await instance?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the enable, run and explain recipes', async () => {
    const all = (await recipes()).map((r) => r.script).join('');
    for (const command of ['qemu-binfmt enable', 'qemu-binfmt run', 'qemu-binfmt explain']) expect(all).to.include(command);
  });

  it('each ends with the exit code it says (0 unless the README says otherwise)', async () => {
    for (const { script, exitCode } of await recipes()) {
      // Entering the mount namespace starts at its root: the script starts in the directory with the program.
      const r = await execa(instance.prefix[0]!, [...instance.prefix.slice(1), 'sh', '-ex', '-c', `cd ${dir}\n${script}`], {
        env: { PATH: `${dir}:${process.env.PATH ?? ''}`, QEMU_BINFMT_DIR: '' },
        reject: false,
        all: true,
      });
      expect(r.exitCode, `${script}\n${r.all}`).to.equal(exitCode);
    }
  });
});
