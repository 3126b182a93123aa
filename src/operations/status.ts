import { accessSync } from 'node:fs';
import type { Entry } from '../codec/entry.js';
import { tryReadElfInfo } from '../elf/header.js';
import { detectHost, nativeDetail, nativeReason, thisKernel, type HostOptions } from '../plan/host.js';
import { PLATFORMS, resolvePlatforms, type Platform } from '../table/platforms.js';
import { differences } from '../codec/compare.js';
import { readPersisted, type Persisted } from '../boot/persisted-registrations.js';
import { sameRule } from '../table/rule.js';
import { decideWinner } from '../explain/winner.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { programHeads, serves } from '../plan/served.js';
import { interpreterVisibility, type Visibility } from '../sandbox/visibility.js';
import { accessTable, binfmtDirOf, type TableOptions } from '../kernel/access.js';
import { CONDITIONS, type Condition } from '../conditions.js';

export interface PlatformStatus {
  platform: string;
  entry: string;
  registered: boolean;
  enabled: boolean;
  interpreter: string | null;
  interpreterPresent: boolean | null;
  interpreterStatic: boolean | null;
  flags: string | null;
  /** The entry's offset, magic and mask are this platform's in our table. */
  matchesTable: boolean | null;
  native: boolean;
  nativeReason: 'family' | 'captures-host' | null;
  /** Why it counts as native, or why one of the host's family does not (this kernel runs no 32-bit programs of it), in words. */
  nativeDetail: string | null;
  /** Whether build chroots and sandboxes see the interpreter: F with a static one yes, without F only if bound or listed, F with a dynamic one no. */
  sandboxVisible: Visibility | null;
  /** The file that registers this platform at boot, if any: qemu-binfmt's, or the distribution's own. */
  persisted: string | null;
  /** Who wrote that file. */
  persistedBy: Persisted['by'] | null;
  /** Persisted but not registered now, or registered now but not as persisted. */
  drift: 'not-registered' | 'differs' | null;
  /** The differences, field by field, when drift is 'differs'. */
  driftDetail: string | null;
  /** The entry that takes the platform's programs now (the newest of those that match), its interpreter, and whether it is qemu-binfmt's; null when none does. */
  servedBy: ServedBy | null;
}

interface ServedBy {
  entry: string;
  interpreter: string;
  ours: boolean;
  /** Several entries match and which one the kernel uses could not be told (the table is not this process's): the first named. */
  undecided?: true;
}

interface ForeignEntry {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: string;
  /** bpf: a Linux >= 7.3 B entry, matched by a program: what it claims cannot be predicted from userspace. */
  type: 'magic' | 'extension' | 'bpf';
  /** A bpf entry's handler and the interpreters bound to it. */
  bpf?: { handler: string; interpreters: Array<{ name: string; path: string }> };
}

export interface StatusReport {
  binfmtDir: string;
  mounted: boolean;
  /** The kernel's global switch (<dir>/status); null when not mounted. */
  kernelEnabled: boolean | null;
  privateNamespace: boolean;
  platforms: PlatformStatus[];
  /** Entries that are not qemu-<platform> of our table: listed, never touched. */
  foreign: ForeignEntry[];
  /** The table as a whole: not mounted or switched off (problems), private to this namespace, mounted now. */
  conditions: Condition[];
}

export interface StatusOptions extends TableOptions {
  host?: HostOptions;
  /** Where to look for persisted registrations (default /). */
  root?: string;
}

/**
 * Which entry takes the platform's programs: the one enabled entry whose rule matches their
 * header, read from the table; where several match, the kernel uses the newest, which the table
 * does not show, so a copy of a header alone is executed to tell (explain/winner.ts): the only
 * process status starts.
 */
async function servedBy(platform: Platform, entries: readonly Entry[], table: BinfmtTable): Promise<ServedBy | null> {
  const serving = entries.filter((e) => serves(e, platform));
  const as = (e: Entry, undecided = false): ServedBy => ({
    entry: e.name,
    interpreter: e.interpreter,
    ours: e.name === platform.entryName,
    ...(undecided ? { undecided: true as const } : {}),
  });
  if (serving.length <= 1) return serving[0] ? as(serving[0]) : null;
  if (!table.handlesExecs()) return as(serving[0]!, true);
  const winner = await decideWinner(`${platform.name}-program`, programHeads(platform)[0]!, serving);
  return winner.entry ? as(winner.entry) : as(serving[0]!, true);
}

/** Reads the table; writes nothing. */
export async function status(names: readonly string[], options: StatusOptions = {}): Promise<StatusReport> {
  const platforms = names.length === 0 ? [...PLATFORMS] : resolvePlatforms(names);
  const access = await accessTable(options, true, false);
  const host = detectHost(thisKernel(options.host));
  const { table, mounted } = access;
  const entries = mounted ? table.list() : [];
  const kernelEnabled = mounted ? table.kernelEnabled() : null;
  const persisted = readPersisted(options.root ?? '/');
  const ourNames = new Set(PLATFORMS.map((p) => p.entryName));
  // A platform's rules share one interpreter: each file is read once.
  const described = new Map<string, ReturnType<typeof describeInterpreter>>();
  const describe = (path: string) => described.get(path) ?? described.set(path, describeInterpreter(path)).get(path)!;
  const conditions = [...access.conditions];
  if (!mounted) conditions.push(CONDITIONS.NOT_MOUNTED(table.dir));
  else if (!kernelEnabled) conditions.push(CONDITIONS.SWITCHED_OFF(table.dir));
  return {
    binfmtDir: binfmtDirOf(options),
    mounted,
    kernelEnabled,
    privateNamespace: access.privateNamespace,
    platforms: await Promise.all(
      platforms.map(async (p) => ({
        ...platformStatus(
          p,
          entries.find((e) => e.name === p.entryName),
          { reason: nativeReason(p, host)?.reason, detail: nativeDetail(p, host) },
          persisted.get(p.entryName),
          describe,
        ),
        servedBy: await servedBy(p, entries, table),
      })),
    ),
    foreign: entries
      .filter((e) => !ourNames.has(e.name))
      .map((e) => ({
        name: e.name,
        enabled: e.enabled,
        interpreter: e.interpreter,
        flags: e.flagText,
        type: e.bpf ? 'bpf' : e.rule ? 'magic' : 'extension',
        ...(e.bpf ? { bpf: e.bpf } : {}),
      })),
    conditions,
  };
}

function platformStatus(
  platform: Platform,
  entry: Entry | undefined,
  { reason: native, detail }: { reason: PlatformStatus['nativeReason'] | undefined; detail: string | null },
  persisted: Persisted | undefined,
  describe: (path: string) => ReturnType<typeof describeInterpreter>,
): Omit<PlatformStatus, 'servedBy'> {
  const interpreter = entry ? describe(entry.interpreter) : { present: null, isStatic: null };
  const diffs = persisted && entry ? [...(entry.enabled ? [] : ['disabled']), ...differences(entry, persisted.registration)] : [];
  return {
    platform: platform.name,
    entry: platform.entryName,
    registered: entry !== undefined,
    enabled: entry?.enabled ?? false,
    interpreter: entry?.interpreter ?? null,
    interpreterPresent: interpreter.present,
    interpreterStatic: interpreter.isStatic,
    flags: entry ? entry.flagText : null,
    matchesTable: entry ? entry.rule !== undefined && sameRule(entry.rule, platform.rule) : null,
    native: native !== undefined,
    nativeReason: native ?? null,
    nativeDetail: detail,
    sandboxVisible: entry ? interpreterVisibility(entry, interpreter.isStatic) : null,
    persisted: persisted?.file ?? null,
    persistedBy: persisted?.by ?? null,
    drift: !persisted ? null : !entry ? 'not-registered' : diffs.length ? 'differs' : null,
    driftDetail: diffs.length ? diffs.join('; ') : null,
  };
}

function describeInterpreter(path: string): { present: boolean; isStatic: boolean | null } {
  try {
    accessSync(path);
  } catch {
    return { present: false, isStatic: null };
  }
  return { present: true, isStatic: tryReadElfInfo(path)?.isStatic ?? null };
}
