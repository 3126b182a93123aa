// Development time only: assembles each platform's probe with Debian's cross binutils (or LLVM,
// or from hand-encoded words where Debian has no assembler), links it at the address the ELF
// writer puts text at, and records text, entry and e_flags in platforms/probes.json.
// Needs: npm run build (for build/), the binutils-<triplet> packages named below, llvm-14.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const table = JSON.parse(readFileSync('platforms/probes.json', 'utf8'));
const platforms = JSON.parse(readFileSync('platforms/platforms.json', 'utf8'));
const { base, message } = table;
const LEN = Buffer.byteLength(message);
const MSG = `msg: .ascii ${JSON.stringify(message)}`;
const textAddress = (cls) => base + (cls === 64 ? 64 + 56 : 52 + 32);

/** Linux write(1, msg, LEN) then exit(0), per instruction set; syscall numbers in comments. */
const ASM = {
  x86_64: {
    tool: 'x86_64-linux-gnu',
    does: 'write(1, msg, len) as syscall 1, exit(0) as syscall 60 (syscall instruction)',
    src: `_start: mov $1, %eax\n mov $1, %edi\n lea msg(%rip), %rsi\n mov $${LEN}, %edx\n syscall\n mov $60, %eax\n xor %edi, %edi\n syscall\n${MSG}`,
  },
  i386: {
    tool: 'i686-linux-gnu',
    does: 'write as int 0x80 #4, exit as #1',
    src: `_start: mov $4, %eax\n mov $1, %ebx\n mov $msg, %ecx\n mov $${LEN}, %edx\n int $0x80\n mov $1, %eax\n xor %ebx, %ebx\n int $0x80\n${MSG}`,
  },
  aarch64: {
    tool: 'aarch64-linux-gnu',
    does: 'write as svc #0 with x8=64, exit with x8=93',
    src: `_start: mov x0, #1\n adr x1, msg\n mov x2, #${LEN}\n mov x8, #64\n svc #0\n mov x0, #0\n mov x8, #93\n svc #0\n${MSG}`,
  },
  arm: {
    tool: 'arm-linux-gnueabihf',
    does: 'EABI: write as svc #0 with r7=4, exit with r7=1',
    src: `_start: mov r0, #1\n adr r1, msg\n mov r2, #${LEN}\n mov r7, #4\n svc #0\n mov r0, #0\n mov r7, #1\n svc #0\n${MSG}`,
  },
  alpha: {
    tool: 'alpha-linux-gnu',
    does: 'write as callsys with v0=4, exit with v0=1; br gives the message address',
    src: `_start: br $17, 1f\n1: lda $17, msg-1b($17)\n lda $0, 4($31)\n lda $16, 1($31)\n lda $18, ${LEN}($31)\n callsys\n lda $0, 1($31)\n lda $16, 0($31)\n callsys\n${MSG}`,
  },
  hppa: {
    tool: 'hppa-linux-gnu',
    does: 'write as ble 0x100(%sr2,%r0) with r20=4 in the delay slot, exit with r20=1',
    src: `_start: ldi 1, %r26\n ldil L%msg, %r25\n ldo R%msg(%r25), %r25\n ldi ${LEN}, %r24\n ble 0x100(%sr2, %r0)\n ldi 4, %r20\n ldi 0, %r26\n ble 0x100(%sr2, %r0)\n ldi 1, %r20\n${MSG}`,
  },
  m68k: {
    tool: 'm68k-linux-gnu',
    does: 'write as trap #0 with d0=4, exit with d0=1',
    src: `_start: moveq #4, %d0\n moveq #1, %d1\n lea msg(%pc), %a0\n move.l %a0, %d2\n moveq #${LEN}, %d3\n trap #0\n moveq #1, %d0\n moveq #0, %d1\n trap #0\n${MSG}`,
  },
  ppc: {
    tool: 'powerpc-linux-gnu',
    does: 'write as sc with r0=4, exit with r0=1',
    src: `_start: li 0, 4\n li 3, 1\n lis 4, msg@ha\n addi 4, 4, msg@l\n li 5, ${LEN}\n sc\n li 0, 1\n li 3, 0\n sc\n${MSG}`,
  },
  s390x: {
    tool: 's390x-linux-gnu',
    does: 'write as svc 4, exit as svc 1',
    src: `_start: lghi %r2, 1\n larl %r3, msg\n lghi %r4, ${LEN}\n svc 4\n lghi %r2, 0\n svc 1\n .balign 2\n${MSG}`,
  },
  sh4: {
    tool: 'sh4-linux-gnu',
    does: 'write as trapa #0x13 with r3=4, exit as trapa #0x11 with r3=1',
    src: `_start: mov #4, r3\n mov #1, r4\n mova msg, r0\n mov r0, r5\n mov #${LEN}, r6\n trapa #0x13\n mov #1, r3\n mov #0, r4\n trapa #0x11\n .balign 4\n${MSG}`,
  },
  sparc: {
    tool: 'sparc64-linux-gnu',
    as: ['-32', '-Av8'],
    ld: ['-m', 'elf32_sparc'],
    does: 'write as ta 0x10 with g1=4, exit with g1=1',
    src: `_start: mov 4, %g1\n mov 1, %o0\n sethi %hi(msg), %o1\n or %o1, %lo(msg), %o1\n mov ${LEN}, %o2\n ta 0x10\n mov 1, %g1\n mov 0, %o0\n ta 0x10\n${MSG}`,
  },
  sparc64: {
    tool: 'sparc64-linux-gnu',
    as: ['-64'],
    does: 'write as ta 0x6d with g1=4, exit with g1=1',
    src: `_start: mov 4, %g1\n mov 1, %o0\n sethi %hi(msg), %o1\n or %o1, %lo(msg), %o1\n mov ${LEN}, %o2\n ta 0x6d\n mov 1, %g1\n mov 0, %o0\n ta 0x6d\n${MSG}`,
  },
  riscv64: {
    tool: 'riscv64-linux-gnu',
    as: ['-march=rv64i'],
    does: 'write as ecall with a7=64, exit with a7=93',
    src: `_start: li a0, 1\n lla a1, msg\n li a2, ${LEN}\n li a7, 64\n ecall\n li a0, 0\n li a7, 93\n ecall\n${MSG}`,
  },
  or1k: {
    tool: 'or1k-elf',
    does: 'write as l.sys 1 with r11=64, exit with r11=93',
    src: `_start: l.addi r11, r0, 64\n l.addi r3, r0, 1\n l.movhi r4, hi(msg)\n l.ori r4, r4, lo(msg)\n l.addi r5, r0, ${LEN}\n l.sys 1\n l.nop\n l.addi r11, r0, 93\n l.addi r3, r0, 0\n l.sys 1\n l.nop\n${MSG}`,
  },
  xtensa: {
    tool: 'xtensa-lx106-elf',
    does: 'write as syscall with a2=13 (args a6, a3, a4), exit with a2=118; the address from a literal',
    src: ` .literal_position\n .literal .Lmsg, msg\n_start: movi a2, 13\n movi a6, 1\n l32r a3, .Lmsg\n movi a4, ${LEN}\n syscall\n movi a2, 118\n movi a6, 0\n syscall\n${MSG}`,
  },
};
const mips = (abi, nrWrite, nrExit) => ({
  does: `write as syscall with v0=${nrWrite}, exit with v0=${nrExit} (${abi})`,
  src: ` .option pic0\n .set noreorder\n_start: li $2, ${nrWrite}\n li $4, 1\n lui $5, %hi(msg)\n addiu $5, $5, %lo(msg)\n li $6, ${LEN}\n syscall\n li $2, ${nrExit}\n li $4, 0\n syscall\n${MSG}`,
});
Object.assign(ASM, {
  i486: { ...ASM.i386, does: `${ASM.i386.does}; i386 code with e_machine EM_486` },
  armeb: { ...ASM.arm, as: ['-EB'], ld: ['-EB'], does: `${ASM.arm.does}; big-endian (BE32)` },
  aarch64_be: { ...ASM.aarch64, as: ['-EB'], ld: ['-EB'], does: `${ASM.aarch64.does}; big-endian data` },
  sparc32plus: { ...ASM.sparc, as: ['-32', '-Av8plus'], does: `${ASM.sparc.does}; v8plus` },
  ppc64: {
    tool: 'powerpc64-linux-gnu',
    does: `${ASM.ppc.does}; ELFv2 so the entry is code, not a descriptor`,
    src: ` .abiversion 2\n${ASM.ppc.src}`,
  },
  ppc64le: { tool: 'powerpc64le-linux-gnu', does: ASM.ppc.does, src: ` .abiversion 2\n${ASM.ppc.src}` },
  sh4eb: { ...ASM.sh4, as: ['--big'], ld: ['-EB'], does: `${ASM.sh4.does}; big-endian` },
  riscv32: { ...ASM.riscv64, as: ['-march=rv32i', '-mabi=ilp32'], ld: ['-m', 'elf32lriscv'] },
  mips: { tool: 'mips-linux-gnu', as: ['-EB', '-march=mips32'], ld: ['-EB'], ...mips('o32', 4004, 4001) },
  mipsel: { tool: 'mips-linux-gnu', as: ['-EL', '-march=mips32'], ld: ['-EL', '-m', 'elf32ltsmip'], ...mips('o32', 4004, 4001) },
  mipsn32: { tool: 'mips64-linux-gnuabin32', as: ['-EB', '-mabi=n32'], ld: ['-EB'], ...mips('n32', 6001, 6058) },
  mipsn32el: { tool: 'mips64-linux-gnuabin32', as: ['-EL', '-mabi=n32'], ld: ['-EL', '-m', 'elf32ltsmipn32'], ...mips('n32', 6001, 6058) },
  mips64: { tool: 'mips64-linux-gnuabi64', as: ['-EB', '-mabi=64'], ld: ['-EB'], ...mips('n64', 5001, 5058) },
  mips64el: { tool: 'mips64-linux-gnuabi64', as: ['-EL', '-mabi=64'], ld: ['-EL', '-m', 'elf64ltsmip'], ...mips('n64', 5001, 5058) },
});

/** Hand-encoded words where Debian 12 has no assembler; each line: word, instruction. */
const WORDS = {
  microblaze: {
    does: 'write as brki r14, 0x8 with r12=4 (args r5-r7), exit with r12=1; imm supplies the high half of the address',
    words: (msg) => [
      [0x31800004, 'addik r12, r0, 4'],
      [0x30a00001, 'addik r5, r0, 1'],
      [0xb0000000 | (msg >>> 16), 'imm hi(msg)'],
      [0x30c00000 | (msg & 0xffff), 'addik r6, r0, lo(msg)'],
      [0x30e00000 | LEN, 'addik r7, r0, len'],
      [0xb9cc0008, 'brki r14, 0x8'],
      [0x31800001, 'addik r12, r0, 1'],
      [0x30a00000, 'addik r5, r0, 0'],
      [0xb9cc0008, 'brki r14, 0x8'],
    ],
  },
  loongarch64: {
    does: 'write as syscall 0 with a7=64, exit with a7=93; pcaddi gives the message address',
    words: () => [
      [0x02c00404, 'addi.d a0, zero, 1'],
      [0x18000000 | (7 << 5) | 5, 'pcaddi a1, 7 (msg = pc + 28)'],
      [0x02c00000 | (LEN << 10) | 6, 'addi.d a2, zero, len'],
      [0x02c00000 | (64 << 10) | 11, 'addi.d a7, zero, 64'],
      [0x002b0000, 'syscall 0'],
      [0x02c00004, 'addi.d a0, zero, 0'],
      [0x02c00000 | (93 << 10) | 11, 'addi.d a7, zero, 93'],
      [0x002b0000, 'syscall 0'],
    ],
  },
};
WORDS.microblazeel = WORDS.microblaze;

const LLVM = {
  hexagon: {
    does: 'write as trap0(#1) with r6=64 (args r0-r2), exit with r6=93',
    src: (msg) =>
      `_start:\n { r0 = #1 }\n { r1 = ##${msg} }\n { r2 = #${LEN} }\n { r6 = #64 }\n { trap0(#1) }\n { r0 = #0 }\n { r6 = #93 }\n { trap0(#1) }\n${MSG}`,
    codeSize: 36,
  },
};

const dir = mkdtempSync(join(tmpdir(), 'probes-'));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const readFlags = (elf) => {
  const b = readFileSync(join(dir, elf));
  const le = b[5] === 1;
  const at = b[4] === 2 ? 48 : 36;
  return le ? b.readUInt32LE(at) : b.readUInt32BE(at);
};
const entryOf = (elf, start) => {
  const b = readFileSync(join(dir, elf));
  const le = b[5] === 1;
  const entry = b[4] === 2 ? Number(le ? b.readBigUInt64LE(24) : b.readBigUInt64BE(24)) : le ? b.readUInt32LE(24) : b.readUInt32BE(24);
  return entry - start;
};

const probes = {};
for (const p of platforms) {
  const start = textAddress(p.class);
  const le = p.endianness === 'little';
  try {
    if (ASM[p.name]) {
      const a = ASM[p.name];
      writeFileSync(join(dir, 'p.s'), ` .text\n .global _start\n${a.src}\n`);
      run(`${a.tool}-as`, [...(a.as ?? []), '-o', 'p.o', 'p.s']);
      run(`${a.tool}-ld`, [
        ...(a.ld ?? []),
        '-N',
        '--build-id=none',
        '-e',
        '_start',
        `-Ttext=0x${start.toString(16)}`,
        '-o',
        'p.elf',
        'p.o',
      ]);
      run(`${a.tool}-objcopy`, ['-O', 'binary', '-j', '.text', 'p.elf', 'p.bin']);
      const text = readFileSync(join(dir, 'p.bin')).toString('hex');
      probes[p.name] = {
        text,
        entry: entryOf('p.elf', start),
        flags: readFlags('p.elf'),
        does: a.does,
        source: `GNU as/ld (binutils-${a.tool}) ${(a.as ?? []).join(' ')}`.trim(),
      };
    } else if (WORDS[p.name]) {
      const w = WORDS[p.name];
      const words = w.words(start + 9 * 4);
      const code = Buffer.alloc(words.length * 4);
      words.forEach(([v], i) => (le ? code.writeUInt32LE(v >>> 0, i * 4) : code.writeUInt32BE(v >>> 0, i * 4)));
      probes[p.name] = {
        text: Buffer.concat([code, Buffer.from(message)]).toString('hex'),
        entry: 0,
        flags: p.name === 'loongarch64' ? 0x43 : 0,
        does: `${w.does}: ${words.map(([, i]) => i).join('; ')}`,
        source: 'hand-encoded from the ISA manual',
      };
    } else if (LLVM[p.name]) {
      const l = LLVM[p.name];
      writeFileSync(join(dir, 'p.s'), ` .text\n .global _start\n${l.src(start + l.codeSize)}\n`);
      run('llvm-mc-14', ['-triple=hexagon', '-filetype=obj', '-o', 'p.o', 'p.s']);
      run('llvm-objcopy-14', ['-O', 'binary', '-j', '.text', 'p.o', 'p.bin']);
      const text = readFileSync(join(dir, 'p.bin'));
      if (text.length !== l.codeSize + LEN) throw new Error(`hexagon code is ${text.length - LEN} bytes, expected ${l.codeSize}`);
      probes[p.name] = {
        text: text.toString('hex'),
        entry: 0,
        flags: readFlags('p.o'),
        does: l.does,
        source: 'llvm-mc-14 -triple=hexagon',
      };
    }
  } catch (err) {
    probes[p.name] = {
      missing: `could not be built here: ${
        String(err.stderr ?? err.message)
          .trim()
          .split('\n')[0]
      }`,
    };
  }
  if (!probes[p.name]) probes[p.name] = { missing: 'no assembler in Debian 12 and not hand-encoded' };
}
rmSync(dir, { recursive: true, force: true });
writeFileSync('platforms/probes.json', `${JSON.stringify({ base, message, probes }, null, 2)}\n`);
for (const [name, p] of Object.entries(probes))
  console.log(name.padEnd(14), 'text' in p ? `${p.text.length / 2} bytes, flags 0x${p.flags.toString(16)}` : p.missing);
