import type { Entry } from '../codec/entry.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { sandboxPaths } from '../sandbox/visibility.js';
import { isAll, resolvePlatforms, type Platform } from '../table/platforms.js';
import { sameRule } from '../table/rule.js';

export interface SandboxNeeds {
  /** Platforms that can be built for, with the sandbox paths their entries need. */
  platforms: Array<{ platform: Platform; entry: Entry; paths: string[] }>;
  /** Named platforms that are not registered as this table's: they cannot be used. */
  missing: Platform[];
}

/** What sandboxes need for the registered entries of these platforms (all: every registered one). */
export async function sandboxNeeds(names: readonly string[], options: TableOptions = {}): Promise<SandboxNeeds> {
  const all = isAll(names);
  const platforms = resolvePlatforms(names);
  const { table } = await accessTable(options, false);
  const needs: SandboxNeeds = { platforms: [], missing: [] };
  for (const platform of platforms) {
    const entry = table.read(platform.entryName);
    if (entry?.rule && entry.enabled && sameRule(entry.rule, platform.rule))
      needs.platforms.push({ platform, entry, paths: sandboxPaths(entry) });
    else if (!all) needs.missing.push(platform);
  }
  return needs;
}
