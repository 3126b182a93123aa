import { join } from 'node:path';
import { Tree } from '../fs/tree.js';
import { LOCATIONS } from '../boot/locations.js';
import { binfmtDNames } from '../boot/exporters/binfmt-d.js';
import { disable, type DisableOptions } from './disable.js';
import { createdDirsOf, readIfOurs } from '../boot/file-mark.js';
import { registrationsIn } from '../boot/persisted-registrations.js';
import { PLATFORMS, resolvePlatforms, type Platform } from '../table/platforms.js';
import type { Report } from './report.js';

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
  const platforms = names.length ? resolvePlatforms(names) : [...PLATFORMS];
  const tree = Tree.of(options.root);
  let report: UnpersistReport;
  let unregistered: Set<string>;
  try {
    ({ report, unregistered } = removeFiles(tree, platforms));
  } finally {
    tree.close();
  }
  const entries = PLATFORMS.filter((p) => unregistered.has(p.entryName)).map((p) => p.name);
  if (options.root === undefined && options.now !== false && entries.length) report.disabled = await disable(entries, options);
  return report;
}

function removeFiles(tree: Tree, platforms: readonly Platform[]): { report: UnpersistReport; unregistered: Set<string> } {
  const wanted = new Set(platforms.map((p) => p.entryName));
  const report: UnpersistReport = { root: tree.path, removed: [], kept: [] };
  const createdDirs = new Set<string>();
  const unregistered = new Set<string>();
  const remove = (path: string, content: string) => {
    tree.remove(path);
    report.removed.push(tree.show(path));
    for (const dir of createdDirsOf(content)) createdDirs.add(dir);
    for (const r of registrationsIn(content)) unregistered.add(r.name);
  };

  for (const name of platforms.flatMap((p) => Object.values(binfmtDNames(p.entryName)))) {
    const path = join(LOCATIONS['binfmt.d'].dir, name);
    const content = readIfOurs(tree, path);
    if (content !== undefined) remove(path, content);
  }
  for (const loc of [LOCATIONS.unit, LOCATIONS.openrc]) {
    const link = loc.link!;
    const path = join(loc.dir, link.name);
    const content = readIfOurs(tree, path);
    if (content === undefined) continue;
    const others = registrationsIn(content)
      .filter((r) => !wanted.has(r.name))
      .map((r) => r.name);
    if (others.length) {
      report.kept.push({ path: tree.show(path), reason: `it also registers ${others.join(' ')}` });
      continue;
    }
    const linkPath = join(link.dir, link.name);
    if (tree.readlink(linkPath) === link.target) {
      tree.remove(linkPath);
      report.removed.push(tree.show(linkPath));
    }
    remove(path, content);
  }
  // Directories persist created, deepest first, when nothing else is left in them.
  for (const dir of [...createdDirs].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      if (tree.stat(dir, false)?.isDirectory()) tree.remove(dir);
    } catch {
      // not empty (or already gone): keep it
    }
  }
  return { report, unregistered };
}
