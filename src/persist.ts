import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { detectVia, LOCATIONS, type Via } from './boot-systems.js';
import { disable, type DisableOptions } from './disable.js';
import { enable, type EnableOptions } from './enable.js';
import { QemuBinfmtError } from './errors.js';
import { exportFiles } from './export.js';
import { createdDirsOf, writtenByUs } from './header.js';
import { optionArgs } from './option-args.js';
import { registrationsIn } from './persisted.js';
import { PLATFORMS, resolvePlatforms } from './platforms.js';
import { shellQuote } from './quote.js';
import type { Report } from './report.js';

export interface PersistOptions extends EnableOptions {
  /** An offline image tree to write into; nothing is registered then. Default: /. */
  root?: string;
  /** How: binfmt.d, a systemd unit, or an OpenRC script. Default: what the root's boot system uses. */
  via?: Via;
  /** Also register now (default true; never with root). */
  now?: boolean;
  /** How boot units run qemu-binfmt (absolute node and CLI paths). */
  command: readonly string[];
}

export interface PersistReport {
  via: Via;
  root: string;
  written: string[];
  linked: string[];
  /** The registration made now, unless --no-now or --root. */
  enabled?: Report;
}

/** Directories on the way to each dir that do not exist yet, outermost first (relative to root). */
function missingDirs(root: string, dirs: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const dir of dirs) {
    const parts = dir.split('/');
    parts.forEach((_, i) => {
      const sub = parts.slice(0, i + 1).join('/');
      if (!existsSync(join(root, sub))) missing.add(sub);
    });
  }
  return [...missing];
}

function conflict(path: string, what: string): QemuBinfmtError {
  return new QemuBinfmtError('EXISTS_DIFFERENT', `${path} ${what}, so nothing was written`, {
    path,
    hint: 'move it away, or choose another way with --via',
  });
}

/** Writes the boot-time registrations for this system (or an image tree), then registers now. */
export async function persist(names: readonly string[], options: PersistOptions): Promise<PersistReport> {
  const root = resolve(options.root ?? '/');
  const via = options.via ?? detectVia(root);
  if (!via) {
    throw new QemuBinfmtError('NO_BOOT_SYSTEM', `found neither systemd-binfmt, systemd nor OpenRC under ${root}`, {
      path: root,
      hint: 'choose one with --via, or write a POSIX sh script with: qemu-binfmt export --format sh',
    });
  }
  const loc = LOCATIONS[via];
  const regenerate = ['qemu-binfmt', 'persist', '--via', via]
    .concat(options.root !== undefined ? ['--root', root] : [])
    .concat(names, optionArgs(options))
    .map(shellQuote)
    .join(' ');
  // Directories this persist creates, and those an earlier one created (its files record them).
  const earlier = existsSync(join(root, loc.dir))
    ? readdirSync(join(root, loc.dir), { withFileTypes: true })
        .filter((d) => d.isFile() && d.name.startsWith('qemu-'))
        .map((d) => readFileSync(join(root, loc.dir, d.name), 'utf8'))
        .filter(writtenByUs)
        .flatMap(createdDirsOf)
    : [];
  const createdDirs = [...new Set([...earlier, ...missingDirs(root, [loc.dir, ...(loc.link ? [loc.link.dir] : [])])])];
  const result = await exportFiles(names, { ...options, format: loc.format, regenerate, createdDirs });
  if (result.failed[0]) throw result.failed[0].error;

  const files = result.files.map((f) => ({ ...f, path: join(root, loc.dir, f.name) }));
  for (const f of files) {
    if (existsSync(f.path) && !writtenByUs(readFileSync(f.path, 'utf8'))) throw conflict(f.path, 'exists and was not written by qemu-binfmt');
  }
  const link = loc.link && { path: join(root, loc.link.dir, loc.link.name), target: loc.link.target };
  if (link && isPresent(link.path) && !pointsTo(link.path, link.target)) throw conflict(link.path, `exists and is not a link to ${link.target}`);

  mkdirSync(join(root, loc.dir), { recursive: true });
  for (const f of files) writeFileSync(f.path, f.content, { mode: f.mode });
  const linked: string[] = [];
  if (link && !isPresent(link.path)) {
    mkdirSync(join(root, loc.link!.dir), { recursive: true });
    symlinkSync(link.target, link.path);
    linked.push(link.path);
  }
  const report: PersistReport = { via, root, written: files.map((f) => f.path), linked };
  if (options.root === undefined && options.now !== false) report.enabled = await enable(names, options);
  return report;
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function pointsTo(path: string, target: string): boolean {
  return lstatSync(path).isSymbolicLink() && readlinkSync(path) === target;
}

export interface UnpersistOptions extends DisableOptions {
  root?: string;
  /** Also remove the entries now (default true; never with root). */
  now?: boolean;
}

export interface UnpersistReport {
  root: string;
  removed: string[];
  /** Files of ours that also cover platforms not named, with why they were kept. */
  kept: Array<{ path: string; reason: string }>;
  disabled?: Report;
}

/** Removes only files qemu-binfmt wrote (by their header) for these platforms, then the entries. */
export async function unpersist(names: readonly string[], options: UnpersistOptions = {}): Promise<UnpersistReport> {
  const root = resolve(options.root ?? '/');
  const platforms = names.length ? resolvePlatforms(names) : [...PLATFORMS];
  const wanted = new Set(platforms.map((p) => p.entryName));
  const report: UnpersistReport = { root, removed: [], kept: [] };
  const createdDirs = new Set<string>();
  const remove = (path: string, content: string) => {
    rmSync(path);
    report.removed.push(path);
    for (const dir of createdDirsOf(content)) createdDirs.add(dir);
  };

  for (const p of platforms) {
    const path = join(root, LOCATIONS['binfmt.d'].dir, `${p.entryName}.conf`);
    const content = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (content !== undefined && writtenByUs(content)) remove(path, content);
  }
  for (const loc of [LOCATIONS.unit, LOCATIONS.openrc]) {
    const link = loc.link!;
    const path = join(root, loc.dir, link.name);
    const content = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (content === undefined || !writtenByUs(content)) continue;
    const others = registrationsIn(content).filter((r) => !wanted.has(r.name)).map((r) => r.name);
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
  if (options.root === undefined && options.now !== false) report.disabled = await disable(names.length ? names : ['all'], options);
  return report;
}
