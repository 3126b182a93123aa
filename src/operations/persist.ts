import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { detectVia, LOCATIONS, type Via } from '../boot/locations.js';
import { enablePlanned, type EnableOptions } from './enable.js';
import { QemuBinfmtError } from '../errors.js';
import { exportFiles } from '../boot/export.js';
import { createdDirsOf, readIfOurs } from '../boot/file-mark.js';
import { imageHost } from '../plan/host.js';
import { registrationsIn } from '../boot/persisted-registrations.js';
import { PLATFORMS, resolvePlatforms } from '../table/platforms.js';
import type { Report } from './report.js';
import { assertNoLinks, isPresent, missingDirs, pointsTo } from '../boot/image-tree.js';

export interface PersistOptions extends EnableOptions {
  /** An offline image tree to write into; nothing is registered then. Default: /. */
  root?: string;
  /** How: binfmt.d, a systemd unit, or an OpenRC script. Default: what the root's boot system uses. */
  via?: Via;
  /** Also register now (default true; never with root). */
  now?: boolean;
  /** How boot units run qemu-binfmt here (absolute node and CLI paths); in an image tree, `qemu-binfmt` on its PATH. */
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

function conflict(path: string, what: string): QemuBinfmtError {
  return new QemuBinfmtError('EXISTS_DIFFERENT', `${path} ${what}, so nothing was written`, {
    path,
    hint: 'move it away, or choose another way with --via',
  });
}

/** Our files already in a directory, by name. */
function oursIn(dir: string): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  const files = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() && d.name.startsWith('qemu-'));
  return new Map(
    files.flatMap((d) => {
      const content = readIfOurs(join(dir, d.name));
      return content === undefined ? [] : [[d.name, content] as const];
    }),
  );
}

/** Writes the boot-time registrations for this system (or an image tree), then registers now. */
export async function persist(names: readonly string[], options: PersistOptions): Promise<PersistReport> {
  const root = resolve(options.root ?? '/');
  const inImage = options.root !== undefined;
  // Bad names are bad input whatever the root holds.
  resolvePlatforms(names);
  const via = options.via ?? detectVia(root);
  if (!via) {
    throw new QemuBinfmtError('NO_BOOT_SYSTEM', `found neither systemd-binfmt, systemd nor OpenRC under ${root}`, {
      path: root,
      hint: 'choose one with --via, or write a POSIX sh script with: qemu-binfmt export --format sh',
    });
  }
  const loc = LOCATIONS[via];
  const earlier = oursIn(join(root, loc.dir));
  // A unit or script covers a set of platforms: persisting more adds to it, as binfmt.d files do.
  const covered = loc.link ? registrationsIn(earlier.get(loc.link.name) ?? '').map((r) => r.name) : [];
  const all = [...names, ...PLATFORMS.filter((p) => covered.includes(p.entryName)).map((p) => p.name)];
  // Directories this persist creates, and those an earlier one created (its files record them).
  const createdDirs = [
    ...new Set([...[...earlier.values()].flatMap(createdDirsOf), ...missingDirs(root, [loc.dir, ...(loc.link ? [loc.link.dir] : [])])]),
  ];
  const result = await exportFiles(all, {
    ...options,
    format: loc.format,
    regenerateWith: ['persist', '--via', via, ...(inImage ? ['--root', root] : [])],
    createdDirs,
    // In an image: its own executables decide what is native, and units run its qemu-binfmt.
    ...(inImage ? { host: options.host ?? imageHost(root), command: ['qemu-binfmt'] } : {}),
  });
  if (result.failed[0]) throw result.failed[0].error;

  const files = result.files.map((f) => ({ ...f, path: join(root, loc.dir, f.name) }));
  for (const f of files) {
    assertNoLinks(root, join(loc.dir, f.name));
    if (existsSync(f.path) && readIfOurs(f.path) === undefined) throw conflict(f.path, 'exists and was not written by qemu-binfmt');
  }
  const link = loc.link && { path: join(root, loc.link.dir, loc.link.name), target: loc.link.target };
  if (link) {
    assertNoLinks(root, loc.link!.dir);
    if (isPresent(link.path) && !pointsTo(link.path, link.target)) throw conflict(link.path, `exists and is not a link to ${link.target}`);
  }

  mkdirSync(join(root, loc.dir), { recursive: true });
  for (const f of files) writeFileSync(f.path, f.content, { mode: f.mode });
  const linked: string[] = [];
  if (link && !isPresent(link.path)) {
    mkdirSync(join(root, loc.link!.dir), { recursive: true });
    symlinkSync(link.target, link.path);
    linked.push(link.path);
  }
  const report: PersistReport = { via, root, written: files.map((f) => f.path), linked };
  if (!inImage && options.now !== false) report.enabled = await enablePlanned(result.plan, options);
  return report;
}
