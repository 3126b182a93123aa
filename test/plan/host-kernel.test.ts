import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { machine } from 'node:os';
import { is64BitMachine, kernelFacts, kernelPageSize } from '../../src/plan/host-kernel.js';

describe('plan/host-kernel', () => {
  it("reads the kernel's page size from the auxiliary vector, as getconf does", () => {
    expect(kernelPageSize()).to.equal(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()));
  });

  it('claims nothing about a kernel of another machine', () => {
    const other = machine() === 'aarch64' ? 'x86_64' : 'aarch64';
    expect(kernelFacts(other)).to.deep.equal({ pageSize: undefined, runs32: undefined, runs32Why: `the ${other} kernel supports them` });
  });

  it('knows 64-bit machines by their uname -m', () => {
    expect(['x86_64', 'aarch64', 'ppc64le', 's390x', 'riscv64', 'mips64el', 'loongarch64'].every(is64BitMachine)).to.equal(true);
    expect(['i686', 'armv7l', 'mipsel', 'riscv32'].some(is64BitMachine)).to.equal(false);
  });
});
