import { readFileSync } from 'node:fs';
import { endianness, machine, release } from 'node:os';
import { createRequire } from 'node:module';
import { runWithFds } from '../exec.js';
import type * as Zlib from 'node:zlib';

/**
 * What this kernel does with programs of its own family that the family rule alone does not
 * tell: its page size, and whether it runs the 32-bit half of a 64-bit family (x86 on x86_64,
 * arm on aarch64). The page size is read by explain and doctor; the 32-bit support also by the
 * plans of enable, run and watch (a few milliseconds: the kernel's configuration).
 */
export interface KernelFacts {
  /** Bytes per page (AT_PAGESZ); undefined when it cannot be read. */
  pageSize: number | undefined;
  /** true or false when the kernel says; undefined when it cannot be told. */
  runs32: boolean | undefined;
  /** Why not when runs32 is false; the condition it depends on when undefined. */
  runs32Why: string;
}

const AT_PAGESZ = 6n;

/** A uname -m of a 64-bit kernel. */
export const is64BitMachine = (arch: string) => /64/.test(arch) || arch === 's390x';

/** AT_PAGESZ from this process's auxiliary vector: the kernel's own page size. */
export function kernelPageSize(): number | undefined {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const wide = process.arch.includes('64') || process.arch === 's390x';
    const size = wide ? 8 : 4;
    const le = endianness() === 'LE';
    const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
    const word = (at: number) => (wide ? view.getBigUint64(at, le) : BigInt(view.getUint32(at, le)));
    for (let at = 0; at + 2 * size <= auxv.length; at += 2 * size) {
      if (word(at) === AT_PAGESZ) return Number(word(at + size));
    }
  } catch {
    // no /proc: unknown
  }
  return undefined;
}

/** The running kernel's configuration (/proc/config.gz, or /boot/config-RELEASE), or undefined. */
function kernelConfig(): string | undefined {
  try {
    const packed = readFileSync('/proc/config.gz');
    // zlib is loaded only here, and only when there is something to unpack: it costs a start-up otherwise.
    const { gunzipSync } = createRequire(import.meta.url)('node:zlib') as typeof Zlib;
    return gunzipSync(packed).toString('latin1');
  } catch {
    try {
      return readFileSync(`/boot/config-${release()}`, 'latin1');
    } catch {
      return undefined;
    }
  }
}

function bootParameter(name: string): string | undefined {
  try {
    return new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(readFileSync('/proc/cmdline', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Whether a 64-bit kernel of this machine runs 32-bit programs of its family. */
export function runs32(arch: string): Pick<KernelFacts, 'runs32' | 'runs32Why'> {
  const config = kernelConfig();
  const has = (option: string) => (config === undefined ? undefined : new RegExp(`^CONFIG_${option}=y$`, 'm').test(config));
  if (arch === 'x86_64') {
    const param = bootParameter('ia32_emulation');
    if (param !== undefined) {
      const on = /^(1|y|on|true)$/i.test(param);
      return { runs32: on, runs32Why: `the kernel was booted with ia32_emulation=${param}` };
    }
    const built = has('IA32_EMULATION');
    if (built === undefined)
      return { runs32: undefined, runs32Why: 'the kernel has CONFIG_IA32_EMULATION (its configuration cannot be read)' };
    if (!built) return { runs32: false, runs32Why: 'the kernel is built without CONFIG_IA32_EMULATION' };
    return has('IA32_EMULATION_DEFAULT_DISABLED')
      ? { runs32: false, runs32Why: 'CONFIG_IA32_EMULATION_DEFAULT_DISABLED, and no ia32_emulation=1 on the command line' }
      : { runs32: true, runs32Why: 'the kernel has CONFIG_IA32_EMULATION' };
  }
  const compat = has('COMPAT');
  if (compat === false) return { runs32: false, runs32Why: 'the kernel is built without CONFIG_COMPAT' };
  if (arch === 'aarch64' || arch === 'arm64') return aarch32(compat);
  return compat
    ? { runs32: true, runs32Why: 'the kernel has CONFIG_COMPAT' }
    : { runs32: undefined, runs32Why: 'the kernel has CONFIG_COMPAT (its configuration cannot be read)' };
}

/**
 * Whether this arm64 CPU runs 32-bit programs at all (Apple M-series, Graviton 3 and later,
 * Ampere One have no AArch32 at EL0): the kernel refuses the PER_LINUX32 personality exactly
 * then, which setarch linux32 asks for (one short process, on arm64 hosts only).
 */
function aarch32(compat: boolean | undefined): Pick<KernelFacts, 'runs32' | 'runs32Why'> {
  const asked = runWithFds('setarch', ['linux32', 'true'], []);
  if (asked.exitCode === 0) return { runs32: true, runs32Why: 'the CPU and kernel run AArch32 programs (setarch linux32 works)' };
  if (asked.exitCode !== undefined && !asked.errno)
    return {
      runs32: false,
      runs32Why: 'the CPU has no AArch32 at EL0, or the kernel no CONFIG_COMPAT (the PER_LINUX32 personality is refused)',
    };
  return {
    runs32: undefined,
    runs32Why: `the CPU has AArch32 at EL0${compat ? '' : ' and the kernel CONFIG_COMPAT'} (Apple M-series and many Armv9 cores have none)`,
  };
}

/** The facts of the running kernel, for the machine it runs on; nothing is claimed for another machine. */
export function kernelFacts(arch: string): KernelFacts {
  if (arch !== machine()) return { pageSize: undefined, runs32: undefined, runs32Why: `the ${arch} kernel supports them` };
  return { pageSize: kernelPageSize(), ...runs32(arch) };
}
