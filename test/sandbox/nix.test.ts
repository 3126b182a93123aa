import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nixSettings, writeNixConf } from '../../src/sandbox/nix.js';
import { findPlatform } from '../../src/table/platforms.js';
import { caught } from '../helpers/caught.js';

describe('sandbox/nix', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-nix-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('names the Nix systems and the paths, a link as path=target', () => {
    const settings = nixSettings({ platforms: [{ platform: findPlatform('aarch64')!, paths: ['/bin/sh', '/usr/bin/env'] }] });
    expect(settings[0]).to.equal('extra-platforms = aarch64-linux');
    expect(settings[1]).to.match(
      /^extra-sandbox-paths = \/bin\/sh=\/usr\/bin\/dash \/usr\/bin\/env$|^extra-sandbox-paths = \/bin\/sh \/usr\/bin\/env$/,
    );
    expect(nixSettings({ platforms: [] })).to.deep.equal([]);
  });

  it('adds its block once, replaces only the block, and keeps every other byte', async () => {
    const file = join(dir, 'nix.conf');
    await writeFile(file, 'sandbox = true\n# mine');
    expect(writeNixConf(file, ['extra-platforms = aarch64-linux'])).to.equal(true);
    expect(writeNixConf(file, ['extra-platforms = aarch64-linux'])).to.equal(false);
    expect(writeNixConf(file, ['extra-platforms = riscv64-linux'])).to.equal(true);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('sandbox = true\n# mine\n# qemu-binfmt: begin')).to.equal(true);
    expect(text).to.include('extra-platforms = riscv64-linux\n# qemu-binfmt: end\n');
    expect(text).to.not.include('aarch64');
  });

  it('refuses a block that lost its end line', async () => {
    const file = join(dir, 'nix.conf');
    await writeFile(file, 'sandbox = true\n');
    writeNixConf(file, ['extra-platforms = aarch64-linux']);
    await writeFile(file, (await readFile(file, 'utf8')).replace('# qemu-binfmt: end', ''));
    expect(caught(() => writeNixConf(file, ['x = y'])).message).to.match(/broken qemu-binfmt block/);
  });
});
