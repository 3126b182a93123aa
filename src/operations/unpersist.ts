import { rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOCATIONS } from '../boot/locations.js';
import { disable, type DisableOptions } from './disable.js';
import { createdDirsOf, readIfOurs } from '../boot/file-mark.js';
import { registrationsIn } from '../boot/persisted-registrations.js';
import { PLATFORMS, resolvePlatforms } from '../table/platforms.js';
import type { Report } from './report.js';
import { isPresent, pointsTo } from '../boot/image-tree.js';

export interface UnpersistOptions extends DisableOptions {
  root?: string;
  /** Also remove, now, the entries of the files removed (default true; never with root). */
  now?: boolean;
}

export interface UnpersistReport {
  root: string;
  removed: string[];
  /** Files of ours that also cover platforms not named, with why they were kept. */
  kept: Array<{ path: string; reason: string }>;
  disabled?: Report;
}

/** Removes only files qemu-binfmt wrote (by their header) for these platforms, then their entries. */
export async function unpersist(names: readonly string[], options: UnpersistOptions = {}): Promise<UnpersistReport> {
  const root = resolve(options.root ?? '/');
  const platforms = names.length ? resolvePlatforms(names) : [...PLATFORMS];
  const wanted = new Set(platforms.map((p) => p.entryName));
  const report: UnpersistReport = { root, removed: [], kept: [] };
  const createdDirs = new Set<string>();
  const unregistered = new Set<string>();
  const remove = (path: string, content: string) => {
    rmSync(path);
    report.removed.push(path);
    for (const dir of createdDirsOf(content)) createdDirs.add(dir);
    for (const r of registrationsIn(content)) unregistered.add(r.name);
  };

  for (const p of platforms) {
    const path = join(root, LOCATIONS['binfmt.d'].dir, `${p.entryName}.conf`);
    const content = readIfOurs(path);
    if (content !== undefined) remove(path, content);
  }
  for (const loc of [LOCATIONS.unit, LOCATIONS.openrc]) {
    const link = loc.link!;
    const path = join(root, loc.dir, link.name);
    const content = readIfOurs(path);
    if (content === undefined) continue;
    const others = registrationsIn(content)
      .filter((r) => !wanted.has(r.name))
      .map((r) => r.name);
    if (others.length) {
      report.kept.push({ path, reason: `it also registers ${others.join(' ')}` });
      continue;
    }
    const linkPath = join(root, link.dir, link.name);
    if (isPresent(linkPath) && pointsTo(linkPath, link.target)) {
      rmSync(linkPath);
      report.removed.push(linkPath);
    }
    remove(path, content);
  }
  // Directories persist created, deepest first, when nothing else is left in them.
  for (const dir of [...createdDirs].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      rmdirSync(join(root, dir));
    } catch {
      // not empty (or already gone): keep it
    }
  }
  const entries = PLATFORMS.filter((p) => unregistered.has(p.entryName)).map((p) => p.name);
  if (options.root === undefined && options.now !== false && entries.length) report.disabled = await disable(entries, options);
  return report;
}
