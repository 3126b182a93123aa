import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { runtimeClosure } from '../../src/elf/closure.js';
import { skipOrFail } from '../helpers/paths.js';

const DYNAMIC_QEMU = '/usr/bin/qemu-aarch64'; // Debian's qemu-user: dynamically linked

/** What the real loader resolves, by ldd: the libraries and the loader itself. */
async function lddPaths(program: string): Promise<string[]> {
  const { stdout } = await execa('ldd', [program]);
  return stdout
    .split('\n')
    .map((l) => /=> (\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)/.exec(l)?.[1])
    .filter((p): p is string => p !== undefined);
}

describe('runtime closure of a dynamically linked program', () => {
  for (const program of ['/bin/ls', '/usr/bin/python3.11', DYNAMIC_QEMU]) {
    it(`${program}: the same files the real loader uses (ldd)`, async function () {
      if (!existsSync(program)) skipOrFail(this, `${program} is missing (apt-get install qemu-user python3.11)`);
      const closure = runtimeClosure(program);
      expect(closure[0]).to.equal(program);
      expect([...closure.slice(1)].sort()).to.deep.equal((await lddPaths(program)).sort());
    });
  }

  it('is the program alone when it is static', () => {
    expect(runtimeClosure('/usr/bin/qemu-aarch64-static')).to.deep.equal(['/usr/bin/qemu-aarch64-static']);
  });
});
