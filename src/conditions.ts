/**
 * Every condition of the kernel, the host and the files around them that qemu-binfmt reports,
 * stated once, as data: a stable code, a severity, the problem, and what to do. Commands read the
 * code and the severity, never the words.
 *
 * Severity, everywhere: a problem (exit 1; a readiness probe fails) is something asked for that
 * does not work now; a warning (the exit code is unchanged) works now but carries a risk or a
 * limit; a notice is worth knowing and needs nothing.
 */
import type { QemuFact } from './plan/qemu-facts.js';

export type Severity = 'problem' | 'warning' | 'notice';

export interface Condition {
  code: ConditionCode;
  severity: Severity;
  problem: string;
  fix?: string;
  /** QEMU_KNOWN_PROBLEM: the code of the fact in platforms/qemu-facts.json. */
  fact?: string;
}

export type ConditionCode = keyof typeof CONDITIONS;

/** What is said of a condition (or of an error found like one). */
export type Said = Pick<Condition, 'severity' | 'problem' | 'fix'>;

/**
 * Test hook: with this set to `codes`, every condition and every error says its code instead of
 * its words, so a test can show that no decision reads the words.
 */
export const CODES_ONLY_HOOK = 'QEMU_BINFMT_MESSAGES_AS_CODES_FOR_TESTS';

const make =
  (severity: Severity) =>
  (code: ConditionCode, problem: string, fix?: string): Condition =>
    process.env[CODES_ONLY_HOOK] === 'codes' ? { code, severity, problem: code } : { code, severity, problem, ...(fix ? { fix } : {}) };
const problem = make('problem');
const warning = make('warning');
const notice = make('notice');

/** The static emulators, by distribution: what to install when there is none. */
export const INSTALL_STATIC_EMULATORS =
  'apt-get install qemu-user-static (Debian, Ubuntu), dnf install qemu-user-static (Fedora), pacman -S qemu-user-static (Arch), apk add qemu-<arch> (Alpine)';

export const CONDITIONS = {
  NOT_MOUNTED: (dir: string) => problem('NOT_MOUNTED', `binfmt_misc is not mounted at ${dir}`, `mount -t binfmt_misc binfmt_misc ${dir}`),
  SWITCHED_OFF: (dir: string) =>
    problem(
      'SWITCHED_OFF',
      `binfmt_misc is switched off as a whole (${dir}/status reads disabled): no entry runs anything`,
      `echo 1 > ${dir}/status`,
    ),
  OTHER_INSTANCE: (dir: string, seen: string, bound: string | undefined) =>
    warning(
      'OTHER_INSTANCE',
      `${dir} showed another binfmt_misc instance (${seen}) than ${bound ? `the one this run started with (${bound})` : "this user namespace's own"}; nothing was written to it, and this namespace's own was mounted over it`,
    ),
  MOUNTED_NOW: (dir: string) => notice('MOUNTED_NOW', `mounted binfmt_misc on ${dir} (it stays mounted)`),
  PRIVATE_TABLE: () =>
    warning(
      'PRIVATE_TABLE',
      'this runs in a user namespace of its own: on Linux >= 6.7 its binfmt_misc table is private to it, so these registrations are not seen by the host and vanish with the namespace',
    ),
  NO_STATIC_EMULATOR: (what: string, platform: string) =>
    problem('NO_STATIC_EMULATOR', what, `${INSTALL_STATIC_EMULATORS}, then qemu-binfmt enable ${platform} --force`),
  NEWEST_WINS: (claim: string) => notice('NEWEST_WINS', `${claim}: the entry registered last wins`),
  OVERLAPS: (entry: string, other: string) =>
    warning('OVERLAPS', `${entry} overlaps entry ${other}: both claim some files: the entry registered last wins`),
  REMOVED_BY_OTHER: (entry: string) => warning('REMOVED_BY_OTHER', `${entry} was removed by another process right after it was registered`),
  REGISTERED_BY_OTHER: (entry: string) =>
    warning('REGISTERED_BY_OTHER', `${entry} was registered again by another process right after it was removed`),
  BOOT_FILE_MASKED: (path: string) =>
    problem(
      'BOOT_FILE_MASKED',
      `kept ${path}: an empty file there masks it (systemd's convention), so it was not written`,
      '--force replaces it',
    ),
  BINFMT_D_SKIPPED: (platforms: string) =>
    warning(
      'BINFMT_D_SKIPPED',
      'systemd skips binfmt.d where /proc/sys is read-only, as in a container booted by systemd-nspawn: these files register nothing at boot here',
      `qemu-binfmt persist ${platforms} --via unit`,
    ),
  NOTHING_PERSISTED: (root: string) => notice('NOTHING_PERSISTED', `no file written by qemu-binfmt under ${root}`),
  NO_NIX_SYSTEM: (platform: string) => notice('NO_NIX_SYSTEM', `${platform} has no Nix system name; left out`),
  CREDENTIALS: (entry?: string) =>
    warning(
      'CREDENTIALS',
      `${entry ? `${entry} has the C flag. ` : ''}C (credentials): setuid and setgid foreign programs run with their owner's rights, root included, and QEMU does not check AT_SECURE: ` +
        'whoever runs such a program can steer its emulator, running as root, with QEMU_LOG_FILENAME, QEMU_STRACE, QEMU_LD_PREFIX, QEMU_GDB or QEMU_SET_ENV ' +
        '(a root-owned file anywhere, other libraries loaded)',
      'register without --credentials, unless every user of this machine is trusted',
    ),
  /** Said of one emulator; said alike of every emulator of one version, so that a list of entries can share it. */
  QEMU_KNOWN_PROBLEM: (version: string | null | undefined, fact: QemuFact) => ({
    ...warning(
      'QEMU_KNOWN_PROBLEM',
      `${fact.build === 'static-non-pie' ? 'a static build without PIE' : `QEMU ${version?.split(' ')[0] ?? '(version unknown)'}`}: ${fact.symptom} (${fact.code})`,
      `${fact.fix}: a newer package, one named with enable --force --interpreter-dir DIR, or the container image`,
    ),
    fact: fact.code,
  }),
  SERVED_BY_OTHER: (entry: string, interpreter: string, platform: string) =>
    warning(
      'SERVED_BY_OTHER',
      `${platform} is served by ${entry} (${interpreter}), another tool's: qemu-binfmt left ${platform} to it and registered nothing`,
      `qemu-binfmt enable ${platform} --take-over registers QEMU so that it wins over ${entry}`,
    ),
  EMULATOR_CAVEAT: (entry: string, emulator: string, text: string) => warning('EMULATOR_CAVEAT', `${entry} is ${emulator}'s: ${text}`),
  NO_PREFERRED: (platform: string) =>
    warning(
      'NO_PREFERRED',
      `none of the emulators the preferences name for ${platform} is registered, and they do not name qemu: nothing serves ${platform} programs`,
      `add qemu to the line for ${platform} to fall back on QEMU`,
    ),
  SHADOWS: (ours: string, entry: string, interpreter: string) =>
    warning(
      'SHADOWS',
      `${ours} was registered last, so it takes these programs from ${entry} (${interpreter}), which stays registered and is used again when ${ours} is removed`,
    ),
  CACHE_UNUSED: (why: string, env: string) =>
    warning(
      'CACHE_UNUSED',
      `the version cache ${why}, so it was not used (only costs time)`,
      `make it yours alone, or set ${env} to a directory of yours`,
    ),
  NOT_REGISTERED: (entry: string, platform: string) =>
    problem('NOT_REGISTERED', `${entry} is not registered`, `qemu-binfmt enable ${platform}`),
  NOT_OURS_HERE: (platform: string) =>
    problem('NOT_OURS_HERE', `${platform} is not registered by qemu-binfmt here`, `enable it first (qemu-binfmt enable ${platform})`),
  DISTRIBUTION_KEPT: (entry: string, registered: string, changes: string, platform: string) =>
    warning(
      'DISTRIBUTION_KEPT',
      `${entry} is the distribution's registration of ${platform} (${registered}), kept; it differs from ours: ${changes}`,
      `qemu-binfmt enable ${platform} --force replaces it with ours`,
    ),
  DISTRIBUTION_UNUSABLE: (entry: string, why: string, platform: string) =>
    problem(
      'DISTRIBUTION_UNUSABLE',
      `${entry} is the distribution's registration of ${platform}, but ${why}; it was kept`,
      `qemu-binfmt enable ${platform} --force replaces it with ours`,
    ),
  DISTRIBUTION_RELOADS: (entry: string, platform: string) =>
    warning(
      'DISTRIBUTION_RELOADS',
      `${entry} replaced the distribution's registration: its loader (systemd-binfmt or update-binfmts) registers its own again at the next boot or flush, unless ours is persisted`,
      `qemu-binfmt persist ${platform}`,
    ),
  DISTRIBUTION_STAYS: (entry: string, dir: string) =>
    warning(
      'DISTRIBUTION_STAYS',
      `${entry} is the distribution's registration, not qemu-binfmt's, and stays`,
      `to switch it off for good: update-binfmts --disable ${entry} (binfmt-support), or ln -s /dev/null /etc/binfmt.d/${entry}.conf and then echo -1 > ${dir}/${entry} (systemd-binfmt); disable --force removes it now`,
    ),
  DIFFERS_FROM_OURS: (entry: string, differences: string, platform: string) =>
    problem('DIFFERS_FROM_OURS', `${entry} differs from what enable would write: ${differences}`, `qemu-binfmt enable ${platform} --force`),
  DIFFERS_FROM_LOCK: (what: string) => problem('DIFFERS_FROM_LOCK', what, 'qemu-binfmt lock writes a lock of what is registered now'),
  NO_BINFMT_MISC: () =>
    problem('NO_BINFMT_MISC', 'the kernel has no binfmt_misc (CONFIG_BINFMT_MISC, or the module is not loaded)', 'modprobe binfmt_misc'),
  ENTRY_DISABLED: (entry: string, platform: string) => problem('ENTRY_DISABLED', `${entry} is disabled`, `qemu-binfmt enable ${platform}`),
  INTERPRETER_MISSING: (entry: string, interpreter: string, platform: string) =>
    problem(
      'INTERPRETER_MISSING',
      `${entry}: its interpreter ${interpreter} is missing, and without F nothing runs`,
      `qemu-binfmt enable ${platform} --force`,
    ),
  PERSISTED_NOT_REGISTERED: (platform: string, file: string) =>
    problem('PERSISTED_NOT_REGISTERED', `${platform} is persisted in ${file} but not registered now`, `qemu-binfmt enable ${platform}`),
  DIFFERS_FROM_PERSISTED: (entry: string, file: string, detail: string, platform: string) =>
    problem('DIFFERS_FROM_PERSISTED', `${entry} differs from ${file}: ${detail}`, `qemu-binfmt persist ${platform}`),
  PROBE_FAILS: (entry: string, detail: string, platform: string) =>
    problem('PROBE_FAILS', `${entry}: its probe fails: ${detail}`, `qemu-binfmt test ${platform}`),
  WRONG_WINNER: (winner: string, entry: string, platform: string, target: string, fix: string) =>
    problem('WRONG_WINNER', `${winner} is newer than ${entry} and hands ${platform} programs to qemu-${target}`, fix),
  SANDBOX_HIDDEN: (platforms: string, fix: string) =>
    problem(
      'SANDBOX_HIDDEN',
      `nix-daemon's sandbox cannot see the interpreters of ${platforms} (no F, and not in extra-sandbox-paths)`,
      fix,
    ),
  HOST_BROKEN_BEFORE: (what: string) =>
    notice(
      'HOST_BROKEN_BEFORE',
      `after registering, ${what}, and it still fails without the entries just written: something else on this host is wrong`,
    ),
} as const;

/** One line: the problem, then what to do. */
export function conditionText(condition: Said): string {
  return condition.fix ? `${condition.problem}; ${condition.fix}` : condition.problem;
}

/** Conditions said alike of several entries (an emulator's known problem), as one each that names the entries. */
export function shared<C extends Condition>(said: ReadonlyArray<readonly [string, C]>): C[] {
  const byText = new Map<string, { entries: string[]; condition: C }>();
  for (const [entry, condition] of said) {
    const group = byText.get(conditionText(condition)) ?? { entries: [], condition };
    group.entries.push(entry);
    byText.set(conditionText(condition), group);
  }
  return [...byText.values()].map(({ entries, condition }) => ({ ...condition, problem: `${entries.join(' ')}: ${condition.problem}` }));
}
