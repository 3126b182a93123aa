import { differences, overlapping } from '../codec/compare.js';
import type { Entry } from '../codec/entry.js';
import { flagString } from '../codec/flags.js';
import { asQemuBinfmtError, QemuBinfmtError } from '../errors.js';
import { accessTable, binfmtDirOf, type TableOptions } from '../kernel/access.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { existsDifferent } from '../kernel/errors.js';
import { enableEntry, registerEntry, replaceEntry } from '../kernel/register.js';
import { planEnable, type Plan, type PlannedTarget, type PlanOptions } from '../plan/plan.js';
import { applyToChroots, checkChrootDir } from '../sandbox/chroot.js';
import { PLATFORMS } from '../table/platforms.js';
import { failed, type Report, type TargetResult } from './report.js';
import { testPlatforms } from './test.js';

export interface EnableOptions extends TableOptions, PlanOptions {
  /** Replace a same-named entry that differs. */
  force?: boolean;
  /** Print the lines and checks; write nothing. */
  dryRun?: boolean;
  /** Chroot directories to bind each registered interpreter (and its runtime closure) into. */
  chroots?: readonly string[];
  /** Run each registered platform's probe through the kernel afterwards; a failing probe fails the platform. */
  verify?: boolean;
}

/** Registers each platform, attempting every one; bad input throws before anything is written. */
export async function enable(names: readonly string[], options: EnableOptions = {}): Promise<Report> {
  const chroots = (options.chroots ?? []).map(checkChrootDir);
  return enablePlanned(await planEnable(names, options), { ...options, chroots });
}

/** Registers a plan made by planEnable (persist plans once for its files and for this); chroots already checked. */
export async function enablePlanned(plan: Plan, options: EnableOptions): Promise<Report> {
  const chroots = options.chroots ?? [];
  const dryRun = options.dryRun ?? false;
  const access = await accessTable(options, !dryRun, !dryRun);
  const notices = [...access.notices];
  if (!access.mounted) notices.push(`binfmt_misc is not mounted at ${access.table.dir}: existing entries were not checked`);
  const existing = access.mounted ? access.table.list() : [];

  const results: TargetResult[] = plan.missing.map(({ platform, error }) =>
    failed({ platform: platform.name, entry: platform.entryName }, error),
  );
  for (const target of plan.targets) {
    results.push(enableOne(access.table, target, existing, options));
  }
  results.sort((a, b) => tableIndex(a.platform) - tableIndex(b.platform));
  const registered = results.filter((r) => ['enabled', 'replaced', 'unchanged'].includes(r.outcome));
  const bound = dryRun
    ? []
    : await applyToChroots(
        'bind',
        chroots,
        registered.map((r) => ({ platform: r.platform, interpreter: r.interpreter! })),
      );
  if (options.verify && !dryRun && registered.length) {
    const probes = await testPlatforms(
      registered.map((r) => r.platform),
      options,
    );
    for (const probe of probes.results.filter((p) => p.outcome !== 'pass' && p.outcome !== 'no-probe')) {
      const r = results.find((x) => x.platform === probe.platform)!;
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
  return {
    command: 'enable',
    dryRun,
    binfmtDir: binfmtDirOf(options),
    ok: results.every((r) => r.outcome !== 'failed') && bound.every((c) => !c.error),
    results,
    skipped: plan.skipped,
    notices,
    ...(chroots.length ? { chroots: bound } : {}),
  };
}

const tableIndex = (name: string) => PLATFORMS.findIndex((p) => p.name === name);

function enableOne(table: BinfmtTable, target: PlannedTarget, existing: Entry[], options: EnableOptions): TargetResult {
  const { registration: reg, line } = target;
  const base = {
    platform: target.platform.name,
    entry: reg.name,
    interpreter: reg.interpreter,
    flags: flagString(reg.flags),
    line,
    checks: target.checks,
  };
  const warnings = overlapping(existing, reg).map(
    (e) => `${reg.name} overlaps entry ${e.name} (${e.interpreter}): both claim some files, and the newer entry is matched first`,
  );
  const done = (outcome: TargetResult['outcome'], detail?: string): TargetResult => ({
    ...base,
    outcome,
    ...(detail ? { detail } : {}),
    warnings,
  });
  try {
    const current = existing.find((e) => e.name === reg.name);
    if (current) {
      const diffs = differences(current, reg);
      if (diffs.length === 0 && current.enabled) return done('unchanged', 'already enabled');
      if (diffs.length === 0) {
        if (options.dryRun) return done('would-enable', 'the entry exists but is disabled; it would be enabled');
        enableEntry(table, reg);
        return done('enabled', 'was disabled; enabled it');
      }
      if (!options.force) throw existsDifferent(table.dir, reg.name, diffs);
      if (options.dryRun) return done('would-replace', `would replace: ${diffs.join('; ')}`);
      replaceEntry(table, reg, line, current);
      return done('replaced', `replaced: ${diffs.join('; ')}`);
    }
    if (options.dryRun) return done('would-enable');
    const outcome = registerEntry(table, reg, line);
    return done(outcome, outcome === 'unchanged' ? 'registered meanwhile by another process, identically' : undefined);
  } catch (err) {
    return failed(base, asQemuBinfmtError(err), warnings);
  }
}
