import { constants } from 'node:fs';
/** ELF layout: identification bytes, header field offsets and sizes per class, and the type codes used here. */
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;

/** e_ident indexes and values. */
export const EI = { CLASS: 4, DATA: 5, VERSION: 6, OSABI: 7 } as const;
export const ELFCLASS = { 32: 1, 64: 2 } as const;
export const ELFDATA = { little: 1, big: 2 } as const;
export const EV_CURRENT = 1;

/** Header fields at the same offset in both classes. */
export const E_TYPE = 16;
export const E_MACHINE = 18;
export const E_VERSION = 20;
export const E_ENTRY = 24;

/** Offsets and sizes that depend on the class. */
export const LAYOUT = {
  32: { ehsize: 52, phentsize: 32, phoff: 28, flags: 36, ehsizeField: 40, phentsizeField: 42, phnumField: 44 },
  64: { ehsize: 64, phentsize: 56, phoff: 32, flags: 48, ehsizeField: 52, phentsizeField: 54, phnumField: 56 },
} as const;

/** Program header fields, per class: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align. */
export const PHDR = {
  32: { type: 0, offset: 4, vaddr: 8, paddr: 12, filesz: 16, memsz: 20, flags: 24, align: 28 },
  64: { type: 0, flags: 4, offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40, align: 48 },
} as const;

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PF_X = 1;
export const PF_R = 4;
/** e_flags bit of the MIPS n32 ABI. */
export const EF_MIPS_ABI2 = 0x20;
/** Dynamic section tags. */
export const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, RUNPATH: 29 } as const;
/** The bytes of a binary a rule may look at on every kernel (BINPRM_BUF_SIZE before Linux 5.1; 256 since). */
export const RULE_WINDOW = 128;
export const PF_W = 2;
/** Section header table fields of the ELF header, per class: e_shoff, e_shentsize, e_shnum, e_shstrndx. */
export const SHDR_FIELDS = {
  32: { shoff: 32, shentsize: 46, shnum: 48, shstrndx: 50 },
  64: { shoff: 40, shentsize: 58, shnum: 60, shstrndx: 62 },
} as const;
/** Section header fields, per class: sh_name, sh_offset, sh_size. */
export const SHDR = {
  32: { name: 0, offset: 16, size: 20 },
  64: { name: 0, offset: 24, size: 32 },
} as const;
/** How files are opened to be read here: a FIFO or device put where a file was expected cannot block. */
export const READ_NONBLOCKING = constants.O_RDONLY | constants.O_NONBLOCK;
