import { chmod, writeFile } from 'node:fs/promises';

/**
 * A stand-in QEMU emulator: a 64-bit little-endian static ELF whose one read-only PT_LOAD
 * segment carries QEMU's banner, "qemu-TARGET version VERSION", as a real emulator's read-only
 * data does; static-pie (ET_DYN) as current builds are, or position-dependent (ET_EXEC). It is
 * never run: nothing in it runs.
 */
export function fakeQemuElf(target: string, version: string, { pie = true } = {}): Buffer {
  const banner = Buffer.from(
    `\0qemu-${target} version ${version}\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n\0`,
  );
  const ehdr = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(ehdr);
  ehdr.writeUInt16LE(pie ? 3 : 2, 16); // ET_DYN or ET_EXEC
  ehdr.writeUInt16LE(0x3e, 18); // EM_X86_64
  ehdr.writeUInt32LE(1, 20);
  ehdr.writeBigUInt64LE(0x400000n, 24);
  ehdr.writeBigUInt64LE(64n, 32); // e_phoff
  ehdr.writeUInt16LE(64, 52);
  ehdr.writeUInt16LE(56, 54);
  ehdr.writeUInt16LE(1, 56);
  const phdr = Buffer.alloc(56);
  const size = BigInt(64 + 56 + banner.length);
  phdr.writeUInt32LE(1, 0); // PT_LOAD
  phdr.writeUInt32LE(4, 4); // PF_R
  phdr.writeBigUInt64LE(0n, 8);
  phdr.writeBigUInt64LE(0x400000n, 16);
  phdr.writeBigUInt64LE(0x400000n, 24);
  phdr.writeBigUInt64LE(size, 32);
  phdr.writeBigUInt64LE(size, 40);
  phdr.writeBigUInt64LE(0x1000n, 48);
  return Buffer.concat([ehdr, phdr, banner]);
}

/** Writes a stand-in emulator (mode 0755) at path. */
export async function writeFakeQemu(path: string, target: string, version: string, build: { pie?: boolean } = {}): Promise<string> {
  await writeFile(path, fakeQemuElf(target, version, build));
  await chmod(path, 0o755);
  return path;
}
