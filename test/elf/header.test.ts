import { expect } from 'chai';
import { parseElfHeader, readElfInfo } from '../../src/elf/header.js';
import { ET_EXEC } from '../../src/elf/layout.js';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';
import { PLATFORMS } from '../../src/table/platforms.js';
import { foreign } from '../helpers/paths.js';

describe('elf/header', () => {
  it('decodes each probe header with its own class and byte order', () => {
    for (const p of PLATFORMS.filter((q) => probeRecord(q))) {
      const h = parseElfHeader(probeElf(p, probeRecord(p)!))!;
      expect([h.class, h.endianness, h.type, h.machine, h.phnum], p.name).to.deep.equal([p.class, p.endianness, ET_EXEC, p.machine, 1]);
    }
  });

  it('is not ELF: too short, wrong magic, unknown class', () => {
    expect(parseElfHeader(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]))).to.equal(undefined);
    expect(parseElfHeader(new Uint8Array(64))).to.equal(undefined);
    const bad = new Uint8Array(64);
    bad.set([0x7f, 0x45, 0x4c, 0x46, 9, 1]);
    expect(parseElfHeader(bad)).to.equal(undefined);
  });

  it('tells a dynamic program (PT_INTERP) from a script', () => {
    expect(readElfInfo('/bin/ls').isStatic).to.equal(false);
    expect(readElfInfo(process.execPath).header?.class).to.equal(64);
  });

  it('tells the largest page size the segments can be mapped with, from Debian arm64 and armhf programs', function () {
    // Debian builds arm64 for 64 KiB pages; armhf is laid out for 4 KiB.
    expect(readElfInfo(foreign(this, 'busybox-arm64')).maxPageSize).to.equal(65536);
    expect(readElfInfo(foreign(this, 'busybox-armhf')).maxPageSize).to.equal(4096);
  });
});
