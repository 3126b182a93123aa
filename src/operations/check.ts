import { CONDITIONS, type Condition } from '../conditions.js';
import { knownProblemsAt } from '../plan/qemu-facts.js';
import { onPlatform, type CheckProblem } from './report.js';
import { differences } from '../codec/compare.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { onThisKernel, planEnable, type PlanOptions } from '../plan/plan.js';
import { askedOtherwise, isDistributionEntry, unusable } from '../plan/distribution.js';
import { lockDifferences, provenance, readLock } from './provenance.js';
import { testPlatforms } from './test.js';
import { probeFailed } from '../probe/run-probe.js';
import { leftCondition, leftTo } from '../plan/preferences.js';
import { otherServers } from '../plan/served.js';
import type { EnableOptions } from './enable.js';

export interface CheckOptions extends TableOptions, PlanOptions, Pick<EnableOptions, 'preferences' | 'takeOver'> {
  /** Also run each platform's probe through the kernel. */
  probe?: boolean;
  /** A lock file (qemu-binfmt lock): every registered interpreter must match it. */
  lock?: string;
}

export interface CheckReport {
  ok: boolean;
  /** One per platform that is not as enable would leave it ('*': the table as a whole), with its code. */
  problems: CheckProblem[];
  /** What works but carries a risk (the exit code does not change): a registered emulator's known problems. */
  warnings: Array<Condition & { platform: string; entry: string }>;
  checked: string[];
}

/**
 * Whether every named platform is registered, enabled and identical to what enable would write
 * (and with probe, passes its probe): a health check, cheap enough for a probe every few seconds.
 * Reads only; a platform that enable all would skip (no interpreter, native) is not checked.
 */
export async function checkRegistered(names: readonly string[], options: CheckOptions = {}): Promise<CheckReport> {
  const lock = options.lock !== undefined ? readLock(options.lock) : undefined;
  const plan = planEnable(names.length ? names : ['all'], onThisKernel(options));
  const problems: CheckProblem[] = plan.missing.map(({ platform, error }) =>
    onPlatform(platform.name, { code: error.code, problem: error.message, fix: error.hint }),
  );
  const { table, mounted } = await accessTable({ ...options, mount: false }, false, false);
  const checked = [...new Set(plan.targets.map((t) => t.platform.name))];
  const warnings: CheckReport['warnings'] = [];
  if (!mounted) return { ok: false, problems: [...problems, onPlatform('*', CONDITIONS.NOT_MOUNTED(table.dir))], warnings, checked };
  if (!table.kernelEnabled()) problems.push(onPlatform('*', CONDITIONS.SWITCHED_OFF(table.dir)));
  const entries = table.list();
  for (const { platform, registration, interpreter } of plan.targets) {
    const entry = table.read(registration.name);
    // Left to another tool's emulator (by the preferences, or because it serves the platform), or to none the preferences
    // name: a warning, as enable leaves it.
    const left = leftTo(platform, otherServers(platform, entries), options.preferences, options.takeOver);
    if (left) {
      warnings.push({ ...leftCondition(platform.name, left), platform: platform.name, entry: registration.name });
      continue;
    }
    // The distribution's registration that serves the platform is kept by enable: not a problem here either.
    const kept =
      entry !== undefined &&
      isDistributionEntry(entry, platform) &&
      !unusable(entry, platform, plan.host) &&
      !askedOtherwise(entry, registration, options);
    const diffs = entry && !kept ? differences(entry, registration) : [];
    const found = !entry
      ? CONDITIONS.NOT_REGISTERED(registration.name, platform.name)
      : diffs.length
        ? CONDITIONS.DIFFERS_FROM_OURS(registration.name, diffs.join('; '), platform.name)
        : !entry.enabled
          ? CONDITIONS.ENTRY_DISABLED(registration.name, platform.name)
          : undefined;
    if (found) problems.push(onPlatform(platform.name, found));
    else if (entry)
      warnings.push(
        ...knownProblemsAt(platform, entry.interpreter, interpreter).map((w) => ({ ...w, platform: platform.name, entry: entry.name })),
      );
  }
  if (options.probe && problems.length === 0 && checked.length) {
    const probes = await testPlatforms(checked, options);
    for (const r of probes.results)
      if (probeFailed(r)) problems.push(onPlatform(r.platform, CONDITIONS.PROBE_FAILS(r.entry, r.detail, r.platform)));
  }
  if (lock) problems.push(...lockDifferences(lock, await provenance(names, options), names));
  return { ok: problems.length === 0, problems, warnings, checked };
}
