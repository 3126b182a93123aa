import { statSync } from 'node:fs';
import { knownProblemsAt } from '../plan/qemu-facts.js';
import { otherServers } from '../plan/served.js';
import { leftCondition, leftTo, type LeftTo, type Preferences } from '../plan/preferences.js';
import { sameRule } from '../table/rule.js';
import { differences, overlapping } from '../codec/compare.js';
import type { Entry } from '../codec/entry.js';
import { flagString } from '../codec/flags.js';
import { asQemuBinfmtError, conditionError, QemuBinfmtError } from '../errors.js';
import { askedOtherwise, isDistributionEntry, ruleChanges, unusable } from '../plan/distribution.js';
import type { Host } from '../plan/host.js';
import { accessTable, binfmtDirOf, type TableOptions } from '../kernel/access.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { existsDifferent } from '../kernel/errors.js';
import { enableEntry, registerEntry, removeEntry, replaceEntry, type Written } from '../kernel/register.js';
import { isExecutableFile } from '../fs/files.js';
import { onThisKernel, planEnable, type Plan, type PlannedTarget, type PlanOptions } from '../plan/plan.js';
import { applyToChroots, checkChrootDir } from '../chroot/bind.js';
import { PLATFORMS } from '../table/platforms.js';
import { CONDITIONS } from '../conditions.js';
import { failed, type Report, type TargetResult } from './report.js';
import { checkHost, type HostProbe, type WrittenEntry } from './host-check.js';
import { testPlatforms } from './test.js';
import { probeFailed } from '../probe/run-probe.js';

export interface EnableOptions extends TableOptions, PlanOptions {
  /** Replace a same-named entry that differs. */
  force?: boolean;
  /** Register even where another tool's entry serves the platform, so that ours wins (default: leave the platform to it). */
  takeOver?: boolean;
  /** The emulator wanted per platform (qemu-binfmt's own or another tool's), first to last (plan/preferences.ts). */
  preferences?: Preferences;
  /** Entries of ours registered again after those they shadow, and what those were (watch keeps it across checks). */
  shadowing?: Map<string, string>;
  /** Print the lines and checks; write nothing. */
  dryRun?: boolean;
  /** Chroot directories to bind each registered interpreter (and its runtime closure) into. */
  chroots?: readonly string[];
  /** Run each registered platform's probe through the kernel afterwards; a failing probe fails the platform. */
  verify?: boolean;
  /** The host self-test after the writes (default: run /bin/sh -c true); tests hand in their own. */
  hostProbe?: HostProbe;
}

/** Registers each platform, attempting every one; bad input throws before anything is written. */
export async function enable(names: readonly string[], options: EnableOptions = {}): Promise<Report> {
  return enablePlanned(planEnable(names, onThisKernel(options)), options);
}

/** Registers a plan made by planEnable (persist plans once for its files and for this). */
export async function enablePlanned(plan: Plan, options: EnableOptions): Promise<Report> {
  const chroots = (options.chroots ?? []).map(checkChrootDir);
  const dryRun = options.dryRun ?? false;
  const access = await accessTable(options, !dryRun, !dryRun);
  const conditions = [...access.conditions, ...plan.conditions];
  if (!access.mounted) conditions.push(CONDITIONS.NOT_MOUNTED(access.table.dir));
  else if (!access.table.kernelEnabled()) conditions.push(CONDITIONS.SWITCHED_OFF(access.table.dir));
  const existing = access.mounted ? access.table.list() : [];

  const results: TargetResult[] = plan.missing.map(({ platform, error }) =>
    failed({ platform: platform.name, entry: platform.entryName }, error),
  );
  const written: WrittenEntry[] = [];
  for (const target of plan.targets) {
    results.push(enableOne(access.table, target, existing, options, { wrote: written, host: plan.host }));
  }
  // Once after the writes: do this host's own programs still run? (Only a table that this process's execs go through can break them.)
  if (!dryRun && (options.hostProbe || access.table.handlesExecs())) {
    const { culprits, condition } = checkHost(access.table, written, options.hostProbe);
    if (condition) conditions.push(condition);
    for (const r of results) {
      const culprit = culprits.get(r.entry);
      if (culprit) Object.assign(r, failed(r, culprit, r.warnings));
    }
  }
  results.sort((a, b) => tableIndex(a.platform) - tableIndex(b.platform));
  // What serves each platform now: ours, or the distribution's kept.
  const registered = results.filter((r) => ['enabled', 'replaced', 'unchanged', 'kept'].includes(r.outcome));
  const bound = dryRun
    ? []
    : applyToChroots(
        'bind',
        chroots,
        registered.map((r) => ({ platform: r.platform, interpreter: r.interpreter! })),
      );
  if (options.verify && !dryRun && registered.length) await verify(registered, results, options);
  return {
    command: 'enable',
    dryRun,
    binfmtDir: binfmtDirOf(options),
    ok: results.every((r) => r.outcome !== 'failed') && bound.every((c) => !c.error) && conditions.every((c) => c.severity !== 'problem'),
    results,
    skipped: plan.skipped,
    conditions,
    ...(chroots.length ? { chroots: bound } : {}),
  };
}

const tableIndex = (name: string) => PLATFORMS.findIndex((p) => p.name === name);

/** --verify: each registered platform's probe through the kernel; one that fails (or cannot run) fails its platform. */
async function verify(registered: readonly TargetResult[], results: readonly TargetResult[], options: EnableOptions): Promise<void> {
  const probes = await testPlatforms(
    registered.map((r) => r.platform),
    options,
  ).catch((err: unknown) => {
    // The probes could not run at all (TMPDIR missing, say): every platform is unverified.
    const error = asQemuBinfmtError(err);
    for (const r of registered)
      Object.assign(r, failed(r, error.withContext(`registered, but not verified: ${error.message}`), r.warnings));
    return { results: [] };
  });
  for (const probe of probes.results.filter(probeFailed)) {
    const r = results.find((x) => x.entry === probe.entry);
    if (r)
      Object.assign(
        r,
        failed(
          r,
          new QemuBinfmtError('PROBE_FAILED', `registered, but its probe failed: ${probe.detail}`, { hint: 'see qemu-binfmt test' }),
          r.warnings,
        ),
      );
  }
}

function enableOne(
  table: BinfmtTable,
  target: PlannedTarget,
  existing: Entry[],
  options: EnableOptions,
  { wrote, host }: { wrote: WrittenEntry[]; host: Host },
): TargetResult {
  const { registration: reg, line } = target;
  const current = existing.find((e) => e.name === reg.name);
  // Another tool's emulator (Rosetta, FEX, box64) serves the platform: left to it, unless asked to take over.
  const others = otherServers(target.platform, existing);
  // Those are said as served-by or shadowed, not as mere overlaps.
  const o = outcomes(
    table,
    target,
    current,
    existing.filter((e) => !others.includes(e)),
    wrote,
  );
  const left = leftTo(target.platform, others, options.preferences, options.takeOver);
  if (left) return stepAside(o, current, left, options);
  if (others.length) o.warnings.push(...others.map((e) => CONDITIONS.SHADOWS(reg.name, e.name, e.interpreter)));
  try {
    const result = current
      ? (winOver(o, current, others, options) ?? overCurrent(o, current, options, host))
      : options.dryRun
        ? o.done('would-enable')
        : o.written(registerEntry(table, reg, line), 'enabled');
    if (result.outcome !== 'failed' && result.interpreter)
      result.warnings.push(...knownProblemsAt(target.platform, result.interpreter, target.interpreter));
    return result;
  } catch (err) {
    return failed(o.base, asQemuBinfmtError(err), o.warnings);
  }
}

type Outcomes = ReturnType<typeof outcomes>;

/**
 * The platform is left to another tool's emulator (plan/preferences.ts): ours is not registered,
 * and one of ours there steps aside for the preferred emulator (watch: when it comes back).
 */
function stepAside(o: Outcomes, current: Entry | undefined, { entry: to, preferred }: LeftTo, options: EnableOptions): TargetResult {
  const { reg, target, table } = o;
  o.warnings.push(leftCondition(target.platform.name, { entry: to, preferred }));
  const ours = preferred && current?.rule && sameRule(current.rule, reg.rule);
  if (ours && !options.dryRun) removeEntry(table, reg.name, (e) => e.rule !== undefined && sameRule(e.rule, reg.rule));
  const removed = ours ? `; removed ${reg.name}` : '';
  return o.done('yielded', to ? `served by ${to.name} (${to.interpreter})${removed}` : `no preferred emulator is registered${removed}`, {
    ...(to ? { servedBy: to.name } : {}),
    ...(ours ? { was: 'removed' as const } : {}),
  });
}

/**
 * Ours is there as enable writes it, and other tools' entries serve the platform too: registered
 * again, the newest, so that it wins; once while they stay as they are (watch remembers in
 * options.shadowing; enable registers it again). Undefined when that is not the case.
 */
function winOver(o: Outcomes, current: Entry, others: readonly Entry[], options: EnableOptions): TargetResult | undefined {
  if (!others.length || !current.enabled || differences(current, o.reg).length) return undefined;
  const shadowed = others.map((e) => `${e.name} ${e.interpreter}`).join('|');
  if (options.shadowing?.get(o.reg.name) === shadowed)
    return o.done('unchanged', `already enabled, and registered after ${others.map((e) => e.name).join(', ')}`);
  if (options.dryRun) return o.done('would-replace', 'would register it again, the newest, so that it wins');
  const result = o.written(
    replaceEntry(o.table, o.reg, o.line, current, o.stillThere),
    'replaced',
    'registered again, the newest, so that it wins',
  );
  options.shadowing?.set(o.reg.name, shadowed);
  return result;
}

/** How one target's result is made: its fields, its warnings, and what a write did. */
function outcomes(table: BinfmtTable, target: PlannedTarget, current: Entry | undefined, existing: Entry[], wrote: WrittenEntry[]) {
  const { registration: reg, line } = target;
  const base = {
    platform: target.platform.name,
    entry: reg.name,
    interpreter: reg.interpreter,
    flags: flagString(reg.flags),
    line,
    checks: target.checks,
  };
  const warnings = overlapping(existing, reg).map((e) => CONDITIONS.OVERLAPS(reg.name, `${e.name} (${e.interpreter})`));
  const done = (outcome: TargetResult['outcome'], detail?: string, extra: Partial<TargetResult> = {}): TargetResult => ({
    ...base,
    outcome,
    ...(detail ? { detail } : {}),
    ...extra,
    warnings,
  });
  const stillThere = () => {
    if (!reg.flags.fixBinary) assertStillThere(table, reg);
  };
  const written = ({ outcome, warning }: Written, as: 'enabled' | 'replaced', detail?: string, facts: Partial<TargetResult> = {}) => {
    if (warning) warnings.push(warning);
    if (outcome === 'unchanged') return done('unchanged', 'registered meanwhile by another process, identically');
    if (as === 'enabled') stillThere();
    wrote.push({ target, ...(current ? { old: current } : {}) });
    return done(as, detail, facts);
  };
  return { table, target, reg, line, base, warnings, done, written, stillThere };
}

/** A same-named entry is there: already ours, ours but disabled, ours in all but name, or different (replaced only with force). */
function overCurrent(o: Outcomes, current: Entry, options: EnableOptions, host: Host): TargetResult {
  const { table, reg, line } = o;
  const diffs = differences(current, reg);
  if (diffs.length === 0 && current.enabled) return o.done('unchanged', 'already enabled');
  if (diffs.length === 0) {
    if (options.dryRun) return o.done('would-enable', 'the entry exists but is disabled; it would be enabled');
    return o.written(enableEntry(table, reg, line), 'enabled', 'was disabled; enabled it', { was: 'disabled' });
  }
  const distribution = isDistributionEntry(current, o.target.platform);
  if (distribution && !options.force && !askedOtherwise(current, reg, options)) return keepDistribution(o, current, host);
  if (distribution && options.force) o.warnings.push(CONDITIONS.DISTRIBUTION_RELOADS(current.name, o.target.platform.name));
  // Another tool's entry with our rule, through another name for the same file (a hard link).
  if (!options.force && sameRegistration(current, reg, options))
    return o.done('unchanged', 'already enabled', {
      interpreter: current.interpreter,
      flags: current.flagText,
      note: sameNote(current, reg),
    });
  if (!options.force) return failed(o.base, existsDifferent(table.dir, reg.name, diffs), o.warnings);
  if (options.dryRun) return o.done('would-replace', `would replace: ${diffs.join('; ')}`);
  return o.written(replaceEntry(table, reg, line, current, o.stillThere), 'replaced', `replaced: ${diffs.join('; ')}`, {
    differences: diffs,
  });
}

/**
 * The distribution's registration of the platform: kept while it works, with a warning that says
 * exactly what differs from ours; a problem when it is disabled, its interpreter is gone (without
 * F), or its rule takes the host's own programs or another platform's files. Nothing is run.
 */
function keepDistribution(o: Outcomes, current: Entry, host: Host): TargetResult {
  const { platform } = o.target;
  const why = unusable(current, platform, host);
  if (why)
    return failed(
      o.base,
      conditionError('DISTRIBUTION_UNUSABLE', CONDITIONS.DISTRIBUTION_UNUSABLE(current.name, why, platform.name)),
      o.warnings,
    );
  const changes = [
    ...differences(current, o.reg).filter((d) => /^(interpreter|flags) /.test(d)),
    ...ruleChanges(current.rule!, o.reg.rule, platform.class),
  ];
  o.warnings.push(
    CONDITIONS.DISTRIBUTION_KEPT(
      current.name,
      `${current.interpreter}, flags ${current.flagText || '(none)'}`,
      changes.join('; '),
      platform.name,
    ),
  );
  return o.done('kept', `the distribution's registration, kept: ${changes.join('; ')}`, {
    interpreter: current.interpreter,
    flags: current.flagText,
    differences: changes,
  });
}

/** What is said of another tool's registration that is ours in all but name. */
function sameNote(current: Entry, reg: PlannedTarget['registration']): string {
  const ours = flagString(reg.flags);
  const flags = current.flagText === ours ? '' : `, with flags ${current.flagText || '(none)'} (ours: ${ours || '(none)'})`;
  return `registered by another tool as ${current.interpreter}, the same file as ${reg.interpreter}${flags}; --force makes it exactly ours`;
}

/**
 * An enabled entry with our rule whose interpreter is another path to the same file as ours (a
 * link that the distribution's rule above did not take): ours in all but name. Its flags may
 * differ only while none was asked for explicitly.
 */
function sameRegistration(entry: Entry, reg: PlannedTarget['registration'], options: EnableOptions): boolean {
  if (!entry.enabled || !entry.rule || !sameRule(entry.rule, reg.rule) || entry.interpreter === reg.interpreter) return false;
  if (askedOtherwise(entry, reg, options)) return false;
  const theirs = statSync(entry.interpreter, { throwIfNoEntry: false });
  const ours = statSync(reg.interpreter, { throwIfNoEntry: false });
  return theirs !== undefined && ours !== undefined && theirs.dev === ours.dev && theirs.ino === ours.ino;
}

/**
 * Without F the kernel opens the interpreter at each exec, so it must still be there after the
 * write: one that vanished meanwhile leaves an entry that runs nothing, which is removed again.
 */
function assertStillThere(table: BinfmtTable, reg: PlannedTarget['registration']): void {
  if (isExecutableFile(reg.interpreter)) return;
  removeEntry(table, reg.name, (e) => differences(e, reg).length === 0);
  throw new QemuBinfmtError(
    'INTERPRETER_NOT_FOUND',
    `the interpreter ${reg.interpreter} vanished while ${reg.name} was registered, so the entry was removed again`,
    {
      path: reg.interpreter,
      hint: 'install the emulator again (or stop what removes it), then run enable again',
    },
  );
}
