import { expect } from 'chai';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identify } from '../../src/explain/identify.js';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';
import { PLATFORMS } from '../../src/table/platforms.js';

describe('explain/identify: what a file is, from its first bytes', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-identify-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, bytes: string | Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    await chmod(path, 0o755);
    return path;
  };

  it('names each platform of the table by its own probe executable', async () => {
    expect(identify(join(dir, 'x')).kind).to.equal('missing');
    for (const p of PLATFORMS.filter((q) => probeRecord(q))) {
      const id = identify(await file(p.name, probeElf(p, probeRecord(p)!)));
      expect(id.kind === 'elf' ? id.platform?.name : id.kind, p.name).to.equal(p.name);
    }
  });

  it('tells scripts, PE, Mach-O, wasm, text and data apart', async () => {
    expect(identify(await file('s', '#!/usr/bin/env  python3 -u\nprint(1)\n'))).to.deep.include({
      kind: 'script',
      interpreter: '/usr/bin/env',
      args: 'python3 -u',
    });
    const what = async (name: string, bytes: Uint8Array | string) => (identify(await file(name, bytes)) as { what: string }).what;
    expect(await what('pe', Uint8Array.from([0x4d, 0x5a, 0x90, 0]))).to.match(/^a Windows or DOS program/);
    expect(await what('macho', Uint8Array.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]))).to.match(/^a macOS program/);
    expect(await what('wasm', Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).to.match(/^a WebAssembly module/);
    expect(await what('txt', 'hello\n')).to.match(/^a text file without a #! line/);
    expect(await what('bin', Uint8Array.from([1, 2, 3, 0, 0xff]))).to.equal('data of no known program format');
    expect(await what('short-elf', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2]))).to.match(/cannot decode/);
    expect(identify(dir).kind).to.equal('directory');
  });

  it('decodes a real ELF and its platform', async () => {
    const p = PLATFORMS.find((q) => q.name === 's390x')!;
    const id = identify(await file('s390x', probeElf(p, probeRecord(p)!)));
    expect(id.kind).to.equal('elf');
    if (id.kind === 'elf') expect([id.header.endianness, id.header.machine, id.platform?.name]).to.deep.equal(['big', 0x16, 's390x']);
  });
});
