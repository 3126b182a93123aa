import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readDynamicInfo } from '../../src/elf/dynamic.js';
import { skipOrFail } from '../helpers/paths.js';

/** What binutils' readelf says: the loader, DT_NEEDED and DT_RUNPATH / DT_RPATH. */
async function readelf(path: string): Promise<{ interp?: string; needed: string[]; runpath: string[]; rpath: string[] }> {
  const { stdout } = await execa('readelf', ['-d', '-l', '-W', path]);
  const all = (re: RegExp) => [...stdout.matchAll(re)].map((m) => m[1]!);
  const interp = /Requesting program interpreter: ([^\]]+)\]/.exec(stdout)?.[1];
  return {
    ...(interp ? { interp } : {}),
    needed: all(/\(NEEDED\)\s+Shared library: \[([^\]]*)\]/g),
    runpath: all(/\(RUNPATH\)\s+Library runpath: \[([^\]]*)\]/g).flatMap((p) => p.split(':')),
    rpath: all(/\(RPATH\)\s+Library rpath: \[([^\]]*)\]/g).flatMap((p) => p.split(':')),
  };
}

/** The largest shared library here: its string table is megabytes long, its names far into it. */
function largestLibrary(): string | undefined {
  const dir = '/usr/lib/x86_64-linux-gnu';
  if (!existsSync(dir)) return undefined;
  const libs = readdirSync(dir)
    .filter((n) => /\.so(\.\d+)*$/.test(n))
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile());
  return libs.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

describe('elf/dynamic', () => {
  it('reads the loader, DT_NEEDED and the search paths as readelf does, from headers and strings only', async function () {
    if (!existsSync('/usr/bin/readelf')) skipOrFail(this, 'readelf is missing (binutils)');
    const files = ['/bin/ls', process.execPath, '/usr/bin/qemu-aarch64', largestLibrary()].filter((f): f is string => !!f && existsSync(f));
    for (const file of files) {
      const info = readDynamicInfo(file)!;
      const { header: _header, ...ours } = info;
      expect(ours, file).to.deep.equal(await readelf(file));
    }
  });

  it('is undefined for a file that is not ELF', () => {
    expect(readDynamicInfo('/etc/passwd')).to.equal(undefined);
  });
});
