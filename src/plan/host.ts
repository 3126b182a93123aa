import { machine } from 'node:os';
import { readElfInfo } from '../elf/header.js';
import type { Tree } from '../fs/tree.js';
import { PLATFORMS, type Platform } from '../table/platforms.js';
import { matches } from '../table/rule.js';
import { usageError } from '../errors.js';
import { is64BitMachine, runs32 as kernelRuns32 } from './host-kernel.js';

/** QEMU's host-family rule: uname -m patterns and the family whose platforms are skipped there. */
const FAMILY_RULES: ReadonlyArray<[RegExp, string]> = [
  [/^(x86_64|amd64|i[3-6]86)$/, 'i386'],
  [/^(armeb|armv\d+b|aarch64_be)$/, 'armeb'],
  [/^(aarch64|arm64|arm.*)$/, 'arm'],
  [/^(ppc64le|ppc64el)$/, 'ppcle'],
  [/^(ppc|ppc64|powerpc.*)$/, 'ppc'],
  [/^mips/, 'mips'],
  [/^sparc/, 'sparc'],
  [/^loongarch/, 'loongarch'],
];

/** The host family of a uname -m: QEMU's rule, otherwise the name itself. */
export function hostFamily(uname: string): string {
  const m = uname.toLowerCase();
  return FAMILY_RULES.find(([re]) => re.test(m))?.[1] ?? m;
}

/** The uname -m values of Linux hosts beyond the platforms' own names and aliases. */
const HOST_MACHINES =
  /^(x86_64|amd64|i[3-6]86|arm|armeb|armv[4-9][a-z0-9]{0,4}|aarch64|aarch64_be|arm64|ppc|ppc64|ppc64le|ppc64el|powerpc|powerpc64|powerpc64le|mips|mipsel|mips64|mips64el|mipsn32|mipsn32el|sparc|sparc64|sparc32plus|loongarch64)$/;

/** A uname -m this tool knows: a Linux host's, or a platform's name or uname alias. */
function isKnownMachine(uname: string): boolean {
  const m = uname.toLowerCase();
  return HOST_MACHINES.test(m) || PLATFORMS.some((p) => p.name === m || (p.aliases.uname ?? []).includes(m));
}

export interface HostOptions {
  /** uname -m of the host; default: this machine, or QEMU_BINFMT_HOST_ARCH. */
  machine?: string;
  /** Executables of the host that no rule may capture; default /proc/self/exe and /bin/sh. */
  executables?: readonly string[];
  /** Such executables' first bytes, read already (an image tree's, read through the tree). */
  heads?: Host['executables'];
  /**
   * Whether the target's kernel runs the 32-bit programs of its family (x86 on x86_64, arm on
   * aarch64): 'this kernel' reads the running kernel's support as explain does; undefined keeps
   * QEMU's family rule (for files that may boot elsewhere).
   */
  runs32?: boolean | 'this kernel';
}

export interface Host {
  machine: string;
  family: string;
  /**
   * The kernel's 32-bit support for its family, when asked for (false: those platforms are not
   * native), and why. Read on first call, only for a 32-bit platform of the host's family.
   */
  runs32?: () => { runs: boolean | undefined; why: string };
  /** The first bytes of each host executable that could be read. */
  executables: ReadonlyArray<{ path: string; head: Uint8Array }>;
}

const DEFAULT_HOST_EXECUTABLES = ['/proc/self/exe', '/bin/sh'];

export function detectHost(options: HostOptions = {}): Host {
  const given = options.machine || process.env.QEMU_BINFMT_HOST_ARCH;
  if (given && !isKnownMachine(given)) {
    const what = options.machine ? `host machine ${JSON.stringify(given)}` : `QEMU_BINFMT_HOST_ARCH=${given}`;
    throw usageError(
      `${what} is not a machine name qemu-binfmt knows`,
      `give the host's uname -m: x86_64, i686, aarch64, armv7l, ppc64le, ppc64, s390x, riscv64, mips64el, loongarch64, or a platform of qemu-binfmt platforms`,
    );
  }
  const arch = given || machine();
  const paths = options.executables ?? (options.heads ? [] : DEFAULT_HOST_EXECUTABLES);
  const heads = paths.map((path) => {
    try {
      return { path, head: readElfInfo(path).head };
    } catch {
      return undefined;
    }
  });
  return {
    machine: arch,
    family: hostFamily(arch),
    executables: [...(options.heads ?? []), ...heads.filter((h) => h !== undefined)],
    ...runs32Of(options.runs32, arch),
  };
}

/** Host options that ask for the running kernel's 32-bit support (enable, run, watch, check, status), unless given. */
export const thisKernel = (host: HostOptions = {}): HostOptions => ({ runs32: 'this kernel', ...host });

/** The 32-bit support the options give or ask to read (only the running kernel's, and only on its own machine). */
function runs32Of(runs32: HostOptions['runs32'], arch: string): Pick<Host, 'runs32'> {
  if (typeof runs32 === 'boolean') {
    const given = { runs: runs32, why: runs32 ? 'as given' : 'its kernel runs no 32-bit programs of its family (as given)' };
    return { runs32: () => given };
  }
  if (runs32 !== 'this kernel' || !is64BitMachine(arch) || arch !== machine()) return {};
  // The kernel's configuration is read (a few milliseconds) only when a platform needs it, once.
  let read: { runs: boolean | undefined; why: string } | undefined;
  return {
    runs32: () => {
      if (!read) {
        const facts = kernelRuns32(arch);
        read = { runs: facts.runs32, why: facts.runs32Why };
      }
      return read;
    },
  };
}

/**
 * The host an image tree will run on, from its own /bin/sh: the platform of our table that
 * claims it (its name serves as uname -m for the family rule). Unknown: this machine.
 */
export function imageHost(tree: Tree): HostOptions {
  try {
    const held = tree.openFile('bin/sh');
    if (!held) return {};
    try {
      const { head } = readElfInfo(held.path);
      const own = PLATFORMS.find((p) => matches(p.rule, head));
      return own ? { machine: own.name, heads: [{ path: tree.show('bin/sh'), head }] } : {};
    } finally {
      held.close();
    }
  } catch {
    return {};
  }
}

export type Native = { reason: 'captures-host'; executable: string } | { reason: 'family' };

/** Why a platform counts as native here, or why one of the host's family does not, in words; null for the others. */
export function nativeDetail(platform: Platform, host: Host): string | null {
  const native = nativeReason(platform, host);
  if (native?.reason === 'captures-host') return `its rule matches this host's own ${native.executable}`;
  if (platform.family !== host.family) return null;
  const family = `the host (${host.machine}) is of the ${platform.family} family`;
  const runs32 = platform.class === 32 ? host.runs32?.() : undefined;
  if (!runs32) return family;
  if (runs32.runs === false) return `${family}, but ${runs32.why}, so QEMU runs them`;
  return runs32.runs ? `${family}, and runs its 32-bit programs (${runs32.why})` : `${family}; it runs these if ${runs32.why}`;
}

/**
 * Why a platform counts as native here: its rule would capture one of the host's own
 * executables (never registered), or it is of the host's family (registered only on request).
 */
export function nativeReason(platform: Platform, host: Host): Native | undefined {
  const captured = host.executables.find((e) => matches(platform.rule, e.head));
  if (captured) return { reason: 'captures-host', executable: captured.path };
  // A 64-bit kernel that runs no 32-bit programs of its family (no IA32 emulation, no AArch32): QEMU runs them.
  if (platform.family === host.family && !(platform.class === 32 && host.runs32?.().runs === false)) return { reason: 'family' };
  return undefined;
}
