import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import type { Entry } from '../codec/entry.js';
import { matches, overlaps, type MagicRule } from '../table/rule.js';
import { PLATFORMS, type Platform } from '../table/platforms.js';
import type { Host } from './host.js';
import type { PlanOptions } from './plan.js';
import { flagString } from '../codec/flags.js';
import type { Registration } from '../codec/register-line.js';
import { isExecutableFile } from '../fs/files.js';

/**
 * The distribution's own registration of a platform (Debian's and Ubuntu's qemu-user-static and
 * qemu-user-binfmt, loaded by systemd-binfmt or update-binfmts at every boot): the same name
 * qemu-<platform>, and an interpreter that is that platform's QEMU, directly, through the
 * /usr/libexec/qemu-binfmt/<arch>-binfmt-P link, or that wrapper itself. Decided from paths and
 * links only: nothing is run.
 */
export function isDistributionEntry(entry: Entry, platform: Platform): boolean {
  if (entry.name !== platform.entryName || !entry.rule) return false;
  const arch = platform.binary.replace(/^qemu-/, '');
  if (entry.interpreter === `${DISTRIBUTION_WRAPPERS}/${arch}-binfmt-P`) return true;
  let real: string;
  try {
    real = realpathSync(entry.interpreter);
  } catch {
    return false;
  }
  return [platform.binary, `${platform.binary}-static`].includes(basename(real));
}

/**
 * Whether the options ask for something the entry is not: flags given explicitly that it does
 * not have, or an interpreter named that is not its own. Then it is not kept for them.
 */
export function askedOtherwise(entry: Entry, wanted: Registration, options: PlanOptions): boolean {
  const flagsAsked =
    options.fixBinary !== undefined ||
    options.preserveArgv0 !== undefined ||
    options.credentials !== undefined ||
    options.openBinary !== undefined;
  return (
    (flagsAsked && entry.flagText !== flagString(wanted.flags)) ||
    (options.interpreter !== undefined && entry.interpreter !== wanted.interpreter)
  );
}

/** Where Debian and Ubuntu put the -binfmt-P links (or wrappers) their binfmt.d files name. */
const DISTRIBUTION_WRAPPERS = '/usr/libexec/qemu-binfmt';

/** The ELF header field at a byte offset, for each class. */
function fieldAt(offset: number, elfClass: 32 | 64): string {
  const ident = ['EI_MAG0', 'EI_MAG1', 'EI_MAG2', 'EI_MAG3', 'EI_CLASS', 'EI_DATA', 'EI_VERSION', 'EI_OSABI', 'EI_ABIVERSION'];
  if (offset < ident.length) return ident[offset]!;
  if (offset < 16) return 'EI_PAD';
  const word = elfClass === 64 ? 8 : 4;
  const fields: Array<[string, number]> = [
    ['e_type', 2],
    ['e_machine', 2],
    ['e_version', 4],
    ['e_entry', word],
    ['e_phoff', word],
    ['e_shoff', word],
    ['e_flags', 4],
  ];
  let at = 16;
  for (const [name, size] of fields) {
    if (offset < at + size) return name;
    at += size;
  }
  return 'past e_flags';
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * How another rule differs from ours, byte by byte, in words: which header field, which bits
 * only one of them checks, and where both check a bit but want it otherwise.
 */
export function ruleChanges(theirs: MagicRule, ours: MagicRule, elfClass: 32 | 64): string[] {
  if (theirs.offset !== ours.offset) return [`offset ${theirs.offset} (ours: ${ours.offset})`];
  // Each change once per run of bytes of one field that changes alike (e_version's four bytes).
  const runs: Array<{ first: number; last: number; field: string; what: string }> = [];
  for (let i = 0; i < Math.max(theirs.mask.length, ours.mask.length); i++) {
    const [tm, om] = [theirs.mask[i] ?? 0, ours.mask[i] ?? 0];
    const [tv, ov] = [(theirs.magic[i] ?? 0) & tm, (ours.magic[i] ?? 0) & om];
    const byte = theirs.offset + i;
    const field = fieldAt(byte, elfClass);
    const onlyTheirs = tm & ~om;
    const onlyOurs = om & ~tm;
    const clash = (tv ^ ov) & tm & om;
    const whats = [
      ...(onlyTheirs ? [`theirs also checks bits ${hex(onlyTheirs)} (= ${hex(tv & onlyTheirs)}), so it matches fewer files`] : []),
      ...(onlyOurs ? [`theirs ignores bits ${hex(onlyOurs)} that ours checks, so it matches more files`] : []),
      ...(clash ? [`theirs wants ${hex(tv)}, ours ${hex(ov)} under the mask`] : []),
    ];
    for (const what of whats) {
      const run = runs.find((r) => r.last === byte - 1 && r.field === field && r.what === what);
      if (run) run.last = byte;
      else runs.push({ first: byte, last: byte, field, what });
    }
  }
  return runs.map((r) => `${r.first === r.last ? `byte ${r.first}` : `bytes ${r.first}-${r.last}`} (${r.field}): ${r.what}`);
}

/**
 * Why a distribution entry does not serve its platform as ours would: it is disabled, its
 * interpreter is gone (without F, the kernel opens it at each exec), or its rule takes the host's
 * own programs or another platform's files. Undefined when it serves.
 */
export function unusable(entry: Entry, platform: Platform, host: Host): string | undefined {
  return (
    capturedBy(entry, platform, host) ??
    (!entry.enabled ? 'it is disabled' : undefined) ??
    (!entry.flags.fixBinary && !isExecutableFile(entry.interpreter) ? `its interpreter ${entry.interpreter} is missing` : undefined)
  );
}

/** Its rule takes the host's own programs, or files of another platform that our rule for this one leaves alone. */
function capturedBy(entry: Entry, platform: Platform, host: Host): string | undefined {
  const rule = entry.rule!;
  const own = host.executables.find((e) => matches(rule, e.head));
  if (own) return `its rule matches this host's own ${own.path}`;
  const other = PLATFORMS.find((p) => p.name !== platform.name && overlaps(rule, p.rule) && !overlaps(platform.rule, p.rule));
  return other ? `its rule also matches ${other.name} programs (${other.entryName}'s files)` : undefined;
}
