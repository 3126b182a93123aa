import type { BinfmtTable } from './binfmt-dir.js';
import { applyToChroots, checkChrootDir } from './chroot.js';
import { asQemuBinfmtError, QemuBinfmtError } from './errors.js';
import { findInterpreter } from './interpreter.js';
import { PLATFORMS, resolvePlatforms, type Platform } from './platforms.js';
import { failed, type Report, type TargetResult } from './report.js';
import { sameRule } from './rule.js';
import { accessTable, binfmtDirOf, type TableOptions } from './table-access.js';

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
  const { table, notices } = await accessTable(options);
  // Unbind first, while the entries still say which interpreter each platform uses.
  const unbound = options.dryRun || chroots.length === 0
    ? []
    : await applyToChroots(
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
    notices,
    ...(chroots.length ? { chroots: unbound } : {}),
  };
}

function disableOne(table: BinfmtTable, platform: Platform, options: DisableOptions): TargetResult {
  const base = { platform: platform.name, entry: platform.entryName };
  try {
    const entry = table.read(platform.entryName);
    if (!entry) return { ...base, outcome: 'absent', detail: 'not registered', warnings: [] };
    const found = { ...base, interpreter: entry.interpreter };
    const ours = entry.rule !== undefined && sameRule(entry.rule, platform.rule);
    if (!ours && !options.force) {
      return {
        ...found,
        outcome: 'kept',
        detail: `its magic and mask are not qemu-binfmt's for ${platform.name}, so it was left alone; --force removes it anyway`,
        warnings: [],
      };
    }
    if (options.dryRun) return { ...found, outcome: 'would-remove', warnings: [] };
    table.control(platform.entryName, '-1');
    if (table.read(platform.entryName)) {
      throw new QemuBinfmtError('READBACK', `wrote -1 to ${table.dir}/${platform.entryName}, but it is still there`, {
        path: `${table.dir}/${platform.entryName}`,
        hint: 'another process may have registered it again; check with qemu-binfmt status',
      });
    }
    return { ...found, outcome: 'removed', warnings: [] };
  } catch (err) {
    return failed(base, asQemuBinfmtError(err));
  }
}
