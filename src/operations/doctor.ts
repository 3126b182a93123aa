import { fileHas } from '../fs/files.js';
import { existsSync, readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { detectVia } from '../boot/locations.js';
import { binfmtInKernel } from '../kernel/binfmt-dir.js';
import { CONDITIONS, shared, type Condition } from '../conditions.js';
import { Tree } from '../fs/tree.js';
import { accessTable } from '../kernel/access.js';
import { is64BitMachine, kernelFacts } from '../plan/host-kernel.js';
import { emulatorBuild, majorOf } from '../plan/interpreter.js';
import { knownProblems } from '../plan/qemu-facts.js';
import { caveatsOf } from '../plan/emulators.js';
import { VersionCache } from '../plan/version-cache.js';
import { decideWinner } from '../explain/winner.js';
import { probeElf, probeRecord } from '../probe/probe-elf.js';
import { probeFailed } from '../probe/run-probe.js';
import { findPlatform, PLATFORMS } from '../table/platforms.js';
import { shellQuote } from '../boot/quote.js';
import { matches, overlaps } from '../table/rule.js';
import { hasPrivateInstances } from '../run/checks.js';
import { status, type PlatformStatus, type StatusOptions } from './status.js';
import { testPlatforms } from './test.js';

/** The whole system at once: what holds, and each problem with the command that fixes it. */
export interface DoctorReport {
  ok: boolean;
  facts: string[];
  /** What does not work now, each with its code and fix (exit 1). */
  problems: Condition[];
  /** What works but carries a risk or a limit (the exit code does not change): entries with C, a version cache not used. */
  warnings: Condition[];
}

export interface DoctorOptions extends StatusOptions {
  /** The nix.conf whose sandbox settings are checked (default /etc/nix/nix.conf). */
  nixConf?: string;
}

/** Looks at the kernel, the table, every registered qemu entry, other handlers and boot and build-daemon settings; writes nothing. */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const found: Found = { facts: [], problems: [], warnings: [] };
  kernelChecks(found);
  const report = await status([], options);
  if (!report.mounted) found.problems.push(CONDITIONS.NOT_MOUNTED(report.binfmtDir));
  else {
    if (report.privateNamespace)
      found.facts.push("this user namespace has a binfmt_misc table of its own: what is registered here is not the host's");
    if (report.kernelEnabled === false) found.problems.push(CONDITIONS.SWITCHED_OFF(report.binfmtDir));
    const registered = report.platforms.filter((p) => p.registered);
    entryChecks(found, registered);
    if (registered.length && report.kernelEnabled) await probeChecks(found, registered, options);
    await rivalChecks(found, registered, report.binfmtDir, options);
    bootChecks(found, registered, options);
    sandboxChecks(found, registered, options);
  }
  return { ok: found.problems.length === 0, ...found };
}

/** What the checks found: facts, problems (exit 1) and warnings. */
type Found = Omit<DoctorReport, 'ok'>;

/** The kernel: private instances, page size, 32-bit programs, binfmt_misc itself, WSL. */
function kernelChecks({ facts, problems }: Found): void {
  const kernel = release();
  facts.push(
    `Linux ${kernel}: ${hasPrivateInstances(kernel) ? 'each user namespace can mount a binfmt_misc table of its own (>= 6.7)' : 'one binfmt_misc table for the whole system (private instances need Linux >= 6.7)'}`,
  );
  const arch = machine();
  const host = kernelFacts(arch);
  if (host.pageSize) facts.push(`page size ${host.pageSize / 1024} KiB: programs laid out for smaller pages do not run natively`);
  if (is64BitMachine(arch))
    facts.push(
      host.runs32 === undefined
        ? `32-bit programs of the ${arch} family run natively only if ${host.runs32Why}`
        : host.runs32
          ? `32-bit programs of the ${arch} family run natively (${host.runs32Why})`
          : `32-bit programs of the ${arch} family do not run natively (${host.runs32Why}): qemu-binfmt enable PLATFORM --include-native registers an emulator`,
    );
  if (!binfmtInKernel()) problems.push(CONDITIONS.NO_BINFMT_MISC());
  if (fileHas('/proc/version', 'icrosoft'))
    facts.push(
      'WSL: every WSL distribution shares this table, and one whose systemd stops wipes it (persist with a unit, or re-run enable)',
    );
}

/** Each registered qemu entry: its interpreter, its state, and drift from what is persisted. */
function entryChecks({ facts, problems, warnings }: Found, registered: readonly PlatformStatus[]): void {
  facts.push(registered.length ? `registered: ${registered.map((p) => p.platform).join(' ')}` : 'no qemu-<platform> entry is registered');
  const cache = new VersionCache();
  const known: Array<[string, Condition]> = [];
  for (const p of registered) {
    const build = p.interpreter && p.interpreterPresent ? emulatorBuild(p.interpreter, cache) : undefined;
    const version = build?.version ?? null;
    const platform = findPlatform(p.platform);
    if (build && platform && p.enabled) known.push(...knownProblems(platform, build).map((w) => [p.entry, w] as [string, Condition]));
    facts.push(
      `${p.entry}: ${p.interpreter} (${p.interpreterPresent === false ? 'missing' : p.interpreterStatic ? 'static' : 'dynamic'}${version !== null ? `, QEMU ${majorOf(version)}` : ''}), flags ${p.flags || 'none'}${p.enabled ? '' : ', disabled'}`,
    );
    if (!p.enabled) problems.push(CONDITIONS.ENTRY_DISABLED(p.entry, p.platform));
    if (p.interpreterPresent === false && !p.flags?.includes('F'))
      problems.push(CONDITIONS.INTERPRETER_MISSING(p.entry, p.interpreter ?? '', p.platform));
    if (p.sandboxVisible === 'no')
      problems.push(
        CONDITIONS.NO_STATIC_EMULATOR(`${p.entry}: F with a dynamically linked interpreter fails in chroots and containers`, p.platform),
      );
    if (p.matchesTable === false) facts.push(`${p.entry}: its magic and mask are not this table's (another tool's, or an old one)`);
    // Drift from the distribution's file is what enable --force does on purpose; its loader puts that file back at boot.
    if (p.drift === 'differs' && p.persistedBy === 'distribution')
      facts.push(`${p.entry}: registered otherwise than ${p.persisted} says, which its loader registers again at the next boot or flush`);
    else if (p.drift === 'not-registered') problems.push(CONDITIONS.PERSISTED_NOT_REGISTERED(p.platform, p.persisted ?? ''));
    else if (p.drift === 'differs')
      problems.push(CONDITIONS.DIFFERS_FROM_PERSISTED(p.entry, p.persisted ?? '', p.driftDetail ?? '', p.platform));
  }
  warnings.push(...shared(known));
  cache.save();
  if (cache.condition) warnings.push(cache.condition);
}

/** Each registered entry's probe, through the kernel. */
async function probeChecks({ problems }: Found, registered: readonly PlatformStatus[], options: DoctorOptions): Promise<void> {
  const probes = await testPlatforms(
    registered.map((p) => p.platform),
    options,
  );
  for (const r of probes.results) if (probeFailed(r)) problems.push(CONDITIONS.PROBE_FAILS(r.entry, r.detail, r.platform));
}

/** Other handlers: C, whoever registered it, and those that claim the same files (the newest wins). */
async function rivalChecks(
  { facts, problems, warnings }: Found,
  registered: readonly PlatformStatus[],
  binfmtDir: string,
  options: DoctorOptions,
): Promise<void> {
  const { table } = await accessTable(options, false, false);
  const entries = table.list();
  // C, whoever registered it (Rosetta registers CF): what it means in practice.
  for (const e of entries.filter((x) => x.flags.credentials))
    warnings.push(CONDITIONS.CREDENTIALS(`${e.name} (${e.interpreter}, flags ${e.flagText})`));
  // Other emulators' entries (platforms/emulators.json): the limits their users hit.
  for (const e of entries) for (const c of caveatsOf(e)) warnings.push(CONDITIONS.EMULATOR_CAVEAT(e.name, c.emulator, c.text));
  for (const p of registered) {
    const ours = entries.find((e) => e.name === p.entry);
    const rivals = entries.filter((e) => e !== ours && e.enabled && e.rule && ours?.rule && overlaps(e.rule, ours.rule));
    if (!rivals.length || !ours) continue;
    const platform = PLATFORMS.find((q) => q.entryName === p.entry)!;
    const record = probeRecord(platform);
    const head = record ? probeElf(platform, record) : platform.rule.magic;
    const claim = [ours, ...rivals].filter((e) => e.rule && matches(e.rule, head));
    const winner = claim.length > 1 && table.handlesExecs() ? await decideWinner(p.platform, head, claim) : undefined;
    facts.push(
      `${CONDITIONS.NEWEST_WINS(`${rivals.map((e) => `${e.name} (${e.interpreter})`).join(', ')} also claim ${p.platform} files`).problem}; ${
        winner
          ? `${winner.entry?.name ?? 'which one could not be told'} (${winner.how})`
          : claim.length > 1
            ? 'which one, only executing through the real kernel tells'
            : `they do not claim this table's own ${p.platform} header`
      }`,
    );
    if (winner?.entry && winner.entry !== ours && winner.target && `qemu-${winner.target}` !== platform.binary)
      problems.push(
        CONDITIONS.WRONG_WINNER(
          winner.entry.name,
          p.entry,
          p.platform,
          winner.target,
          `echo -1 > ${shellQuote(`${binfmtDir}/${winner.entry.name}`)}`,
        ),
      );
  }
}

/** Boot: what flushes or loads entries at boot, and what a reboot would lose. */
function bootChecks({ facts }: Found, registered: readonly PlatformStatus[], options: DoctorOptions): void {
  const tree = Tree.of(options.root);
  const via = detectVia(tree);
  tree.close();
  if (via === 'binfmt.d')
    facts.push('systemd-binfmt is present: it flushes every entry when it starts or stops; entries no binfmt.d file names are lost then');
  if (existsSync('/usr/sbin/update-binfmts')) facts.push('binfmt-support (update-binfmts) is present');
  const fromDistribution = registered.filter((p) => p.persistedBy === 'distribution');
  if (fromDistribution.length)
    facts.push(`registered at boot by the distribution's files: ${fromDistribution.map((p) => `${p.entry} (${p.persisted})`).join(', ')}`);
  // Each platform once (microblaze's two entries are one platform), or by its entry when only that half is not persisted
  // (the distribution's file brings back qemu-microblaze, not our qemu-microblaze-em189).
  const lost = registered.filter((p) => !p.persisted);
  const shown = [...new Set(lost.map((p) => (registered.some((q) => q.platform === p.platform && q.persisted) ? p.entry : p.platform)))];
  const platforms = [...new Set(lost.map((p) => p.platform))];
  if (shown.length && via)
    facts.push(`not persisted, so gone after a reboot: ${shown.join(' ')} (qemu-binfmt persist ${platforms.join(' ')})`);
}

/** Build daemons: without F a sandbox sees the interpreter only if it is listed. */
function sandboxChecks({ problems }: Found, registered: readonly PlatformStatus[], options: DoctorOptions): void {
  const nixConf = options.nixConf ?? '/etc/nix/nix.conf';
  if (!existsSync(nixConf)) return;
  const text = readFileSync(nixConf, 'utf8');
  const hidden = registered
    .filter((p) => p.sandboxVisible === 'if-bound-or-listed' && p.interpreter && !text.includes(p.interpreter))
    .map((p) => p.platform);
  if (hidden.length)
    problems.push(CONDITIONS.SANDBOX_HIDDEN(hidden.join(' '), `qemu-binfmt sandbox nix ${hidden.join(' ')} --write ${nixConf}`));
}
