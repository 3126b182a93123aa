import { differences } from '../codec/compare.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { planEnable, type PlanOptions } from '../plan/plan.js';
import { lockDifferences, provenance, readLock } from './provenance.js';
import { testPlatforms } from './test.js';

export interface CheckOptions extends TableOptions, PlanOptions {
  /** Also run each platform's probe through the kernel. */
  probe?: boolean;
  /** A lock file (qemu-binfmt lock): every registered interpreter must match it. */
  lock?: string;
}

export interface CheckReport {
  ok: boolean;
  /** One line per platform that is not as enable would leave it. */
  problems: Array<{ platform: string; problem: string }>;
  checked: string[];
}

/**
 * Whether every named platform is registered, enabled and identical to what enable would write
 * (and with probe, passes its probe): a health check, cheap enough for a probe every few seconds.
 * Reads only; a platform that enable all would skip (no interpreter, native) is not checked.
 */
export async function checkRegistered(names: readonly string[], options: CheckOptions = {}): Promise<CheckReport> {
  const lock = options.lock !== undefined ? readLock(options.lock) : undefined;
  const plan = planEnable(names.length ? names : ['all'], options);
  const problems: CheckReport['problems'] = plan.missing.map(({ platform, error }) => ({
    platform: platform.name,
    problem: error.message,
  }));
  const { table, mounted } = await accessTable({ ...options, mount: false }, false, false);
  const checked = [...new Set(plan.targets.map((t) => t.platform.name))];
  if (!mounted)
    return { ok: false, problems: [...problems, { platform: '*', problem: `binfmt_misc is not mounted at ${table.dir}` }], checked };
  if (!table.kernelEnabled()) problems.push({ platform: '*', problem: 'binfmt_misc is switched off as a whole' });
  for (const { platform, registration } of plan.targets) {
    const entry = table.read(registration.name);
    const diffs = entry ? differences(entry, registration) : [];
    const problem = !entry
      ? `${registration.name} is not registered`
      : diffs.length
        ? `${registration.name} differs from what enable would write: ${diffs.join('; ')}`
        : !entry.enabled
          ? `${registration.name} is disabled`
          : undefined;
    if (problem) problems.push({ platform: platform.name, problem });
  }
  if (options.probe && problems.length === 0 && checked.length) {
    const probes = await testPlatforms(checked, options);
    for (const r of probes.results)
      if (r.outcome !== 'pass' && r.outcome !== 'no-probe')
        problems.push({ platform: r.platform, problem: `its probe fails: ${r.detail}` });
  }
  if (lock) problems.push(...lockDifferences(lock, await provenance(names, options), names));
  return { ok: problems.length === 0, problems, checked };
}
