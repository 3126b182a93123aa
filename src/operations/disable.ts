import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { applyToChroots, checkChrootDir } from '../chroot/bind.js';
import type { Entry } from '../codec/entry.js';
import { asQemuBinfmtError } from '../errors.js';
import { removeEntry } from '../kernel/register.js';
import { findInterpreter } from '../plan/interpreter.js';
import { isDistributionEntry } from '../plan/distribution.js';
import { CONDITIONS } from '../conditions.js';
import { PLATFORMS, resolvePlatforms, type Platform } from '../table/platforms.js';
import { failed, type Report, type TargetResult } from './report.js';
import { sameRule } from '../table/rule.js';
import { accessTable, binfmtDirOf, type TableOptions } from '../kernel/access.js';

export interface DisableOptions extends TableOptions {
  /** Remove a same-named entry even when its rule is not ours. */
  force?: boolean;
  dryRun?: boolean;
  /** Chroot directories to unbind each interpreter (and its runtime closure) from. */
  chroots?: readonly string[];
}

/**
 * Removes entries named qemu-<platform> whose magic and mask are ours, by writing -1 to each.
 * Never writes to `status`, never unmounts; other entries are left alone with a notice.
 */
export async function disable(names: readonly string[], options: DisableOptions = {}): Promise<Report> {
  const platforms = resolvePlatforms(names);
  const chroots = (options.chroots ?? []).map(checkChrootDir);
  const { table, conditions } = await accessTable(options);
  // Unbind first, while the entries still say which interpreter each platform uses.
  const unbound =
    options.dryRun || chroots.length === 0
      ? []
      : applyToChroots(
          'unbind',
          chroots,
          platforms.flatMap((p) => {
            const interpreter = table.read(p.entryName)?.interpreter ?? findInterpreter(p, {});
            return interpreter ? [{ platform: p.name, interpreter }] : [];
          }),
          // Files that platforms staying registered still need (shared libraries) stay bound.
          PLATFORMS.filter((p) => !platforms.includes(p)).flatMap((p) => table.read(p.entryName)?.interpreter ?? []),
        );
  const results: TargetResult[] = [];
  for (const platform of platforms) results.push(disableOne(table, platform, options));
  return {
    command: 'disable',
    dryRun: options.dryRun ?? false,
    binfmtDir: binfmtDirOf(options),
    ok: results.every((r) => r.outcome !== 'failed') && unbound.every((c) => !c.error),
    results,
    skipped: [],
    conditions,
    ...(chroots.length ? { chroots: unbound } : {}),
  };
}

function disableOne(table: BinfmtTable, platform: Platform, options: DisableOptions): TargetResult {
  const base = { platform: platform.name, entry: platform.entryName };
  const ours = (entry: Entry) => entry.rule !== undefined && sameRule(entry.rule, platform.rule);
  try {
    const { entry, removed, warning } = options.dryRun
      ? { entry: table.read(platform.entryName), removed: false, warning: undefined }
      : removeEntry(table, platform.entryName, (e) => ours(e) || ((options.force ?? false) && !e.bpf));
    const warnings = warning ? [warning] : [];
    if (!entry) return { ...base, outcome: 'absent', detail: 'not registered', warnings: [] };
    const found = { ...base, interpreter: entry.interpreter };
    if (!ours(entry) && !options.force) {
      const distribution = isDistributionEntry(entry, platform);
      return {
        ...found,
        outcome: 'kept',
        detail: distribution
          ? "the distribution's registration, left alone; --force removes it anyway"
          : `its magic and mask are not qemu-binfmt's for ${platform.name}, so it was left alone; --force removes it anyway`,
        warnings: distribution ? [CONDITIONS.DISTRIBUTION_STAYS(entry.name, table.dir)] : [],
      };
    }
    return { ...found, outcome: removed ? 'removed' : 'would-remove', warnings };
  } catch (err) {
    return failed(base, asQemuBinfmtError(err));
  }
}
