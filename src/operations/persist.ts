import { CONDITIONS, type Condition } from '../conditions.js';
import { join, resolve } from 'node:path';
import { Tree } from '../fs/tree.js';
import { mountedReadOnly } from '../fs/mount.js';
import { detectVia, LOCATIONS, type Via } from '../boot/locations.js';
import { enablePlanned, type EnableOptions } from './enable.js';
import { QemuBinfmtError } from '../errors.js';
import { entriesAtBoot, exportFiles } from './export.js';
import { createdDirsOf, readIfOurs } from '../boot/file-mark.js';
import { imageHost, thisKernel } from '../plan/host.js';
import { registrationsIn } from '../boot/persisted-registrations.js';
import { PLATFORMS, resolvePlatforms } from '../table/platforms.js';
import { tableOf } from '../kernel/access.js';
import { binfmtDNames } from '../boot/exporters/binfmt-d.js';
import type { Report } from './report.js';
import { assertNoLinks, missingDirs } from '../boot/image-tree.js';

export interface PersistOptions extends EnableOptions {
  /** An offline image tree to write into; nothing is registered then. Default: /. */
  root?: string;
  /** How: binfmt.d, a systemd unit, or an OpenRC script. Default: what the root's boot system uses. */
  via?: Via;
  /** Also register now (default true; never with root). */
  now?: boolean;
  /** How boot units run qemu-binfmt here (absolute node and CLI paths); in an image tree, `qemu-binfmt` on its PATH. */
  command: readonly string[];
  /** The preferences file named on the command line (here, not in an image): units read it at boot. */
  preferencesFile?: string;
}

export interface PersistReport {
  via: Via;
  root: string;
  written: string[];
  linked: string[];
  /** Files of ours that no longer apply: a platform now left to another emulator, or now loaded under its other name. */
  removed: string[];
  /**
   * Boot files left alone because an empty file masks them (systemd's convention: an
   * administrator's "not this"); force replaces them. Their platforms are not registered now either.
   */
  masked: string[];
  /** What the chosen flags risk (C), a version cache not used, and each masked file (a problem), said once. */
  conditions: Condition[];
  /** The registration made now, unless --no-now or --root. */
  enabled?: Report;
}

function conflict(path: string, what: string): QemuBinfmtError {
  return new QemuBinfmtError('EXISTS_DIFFERENT', `${path} ${what}, so nothing was written`, {
    path,
    hint: 'move it away, or choose another way with --via',
  });
}

/**
 * Everything is checked before anything is written (each write checks again, through the tree):
 * no link on the way, no file there that is not ours (or a mask being replaced), no link there
 * that leads elsewhere.
 */
function checkBeforeWriting(
  tree: Tree,
  files: ReadonlyArray<{ inside: string }>,
  link: { inside: string; target: string; dir: string } | undefined | false,
): void {
  for (const f of files) {
    assertNoLinks(tree, f.inside);
    if (tree.stat(f.inside, false) && readIfOurs(tree, f.inside) === undefined && !isMask(tree, f.inside))
      throw conflict(tree.show(f.inside), 'exists and was not written by qemu-binfmt');
  }
  if (!link) return;
  assertNoLinks(tree, link.dir);
  if (tree.stat(link.inside, false) && tree.readlink(link.inside) !== link.target)
    throw conflict(tree.show(link.inside), `exists and is not a link to ${link.target}`);
}

/** An empty file where a boot file goes: an administrator's mask (systemd's convention). */
function isMask(tree: Tree, inside: string): boolean {
  const st = tree.stat(inside, false);
  return st?.isFile() === true && st.size === 0;
}

/** Our files already in a directory of the tree, by name. */
function oursIn(tree: Tree, dir: string): Map<string, string> {
  return new Map(
    tree
      .readdir(dir)
      .filter((name) => /^(zz-)?qemu-/.test(name))
      .flatMap((name) => {
        const content = readIfOurs(tree, join(dir, name));
        return content === undefined ? [] : [[name, content] as const];
      }),
  );
}

/** Writes the boot-time registrations for this system (or an image tree), then registers now. */
export async function persist(names: readonly string[], options: PersistOptions): Promise<PersistReport> {
  // Bad names are bad input whatever the root holds.
  resolvePlatforms(names);
  const tree = Tree.of(options.root);
  try {
    return await persistIn(tree, names, options);
  } finally {
    tree.close();
  }
}

/** The names a binfmt.d file of an entry has (usual and last), in the directory; a unit or script has its one. */
function namesOf(loc: (typeof LOCATIONS)[Via], entries: readonly string[], name: string): string[] {
  if (loc.format !== 'binfmt.d') return [join(loc.dir, name)];
  return entries.flatMap((e) => Object.values(binfmtDNames(e)).map((n) => join(loc.dir, n)));
}

/**
 * Writes the files where the boot system reads them (an administrator's mask, under either of a
 * file's names, kept unless forced), and the unit's link; removes our binfmt.d files that no
 * longer apply (staleFiles).
 */
function writeBootFiles(
  tree: Tree,
  loc: (typeof LOCATIONS)[Via],
  exported: ReturnType<typeof exportFiles>['files'],
  leftOut: readonly string[],
  force: boolean,
) {
  const every = exported.map((f) => ({ ...f, inside: join(loc.dir, f.name) }));
  const entriesOf = (f: { content: string }) => registrationsIn(f.content).map((r) => r.name);
  const namesOfFile = (f: (typeof every)[number]) => namesOf(loc, entriesOf(f), f.name);
  const maskOf = (f: (typeof every)[number]) => (force ? undefined : namesOfFile(f).find((n) => isMask(tree, n)));
  const files = every.filter((f) => maskOf(f) === undefined);
  const masked = every.filter((f) => maskOf(f) !== undefined);
  const link = loc.link && files.length > 0 && { inside: join(loc.link.dir, loc.link.name), target: loc.link.target };
  // Under any of a file's names: an administrator's own file there would stay in effect, so nothing is written.
  checkBeforeWriting(
    tree,
    files.flatMap((f) => namesOfFile(f).map((inside) => ({ inside }))),
    link && { ...link, dir: loc.link!.dir },
  );
  for (const f of files) tree.writeFile(f.inside, f.content, f.mode);
  const linked: string[] = [];
  if (link && !tree.stat(link.inside, false)) {
    tree.symlink(link.target, link.inside);
    linked.push(tree.show(link.inside));
  }
  // A masked platform's earlier file of ours goes too: the mask says none of ours.
  const gone = [...leftOut, ...masked.flatMap(entriesOf)];
  const stale = loc.format === 'binfmt.d' ? staleFiles(tree, loc, gone, files) : [];
  for (const path of stale) tree.remove(path);
  return { files, masked: masked.map((f) => maskOf(f)!), linked, removed: stale.map((path) => tree.show(path)) };
}

/**
 * binfmt.d: our files that no longer apply, for entries gone from the files (left out or masked:
 * any name) or written (the other name, which they no longer load by).
 */
function staleFiles(
  tree: Tree,
  loc: (typeof LOCATIONS)[Via],
  gone: readonly string[],
  files: ReadonlyArray<{ inside: string; content: string }>,
): string[] {
  return [...gone, ...files.flatMap((f) => registrationsIn(f.content).map((r) => r.name))]
    .flatMap((entry) => namesOf(loc, [entry], ''))
    .filter((path) => !files.some((f) => f.inside === path) && readIfOurs(tree, path) !== undefined);
}

async function persistIn(tree: Tree, names: readonly string[], options: PersistOptions): Promise<PersistReport> {
  const root = resolve(options.root ?? '/');
  const inImage = options.root !== undefined;
  const via = options.via ?? detectVia(tree);
  if (!via) {
    throw new QemuBinfmtError('NO_BOOT_SYSTEM', `found neither systemd-binfmt, systemd nor OpenRC under ${root}`, {
      path: root,
      hint: 'choose one with --via, or write a POSIX sh script with: qemu-binfmt export --format sh',
    });
  }
  const loc = LOCATIONS[via];
  const earlier = oursIn(tree, loc.dir);
  // A unit or script covers a set of platforms: persisting more adds to it, as binfmt.d files do.
  const covered = loc.link ? registrationsIn(earlier.get(loc.link.name) ?? '').map((r) => r.name) : [];
  const all = [...names, ...PLATFORMS.filter((p) => covered.includes(p.entryName)).map((p) => p.name)];
  // Other emulators' entries (here, the table's too, one table for all) decide which platforms the files leave out or order last.
  const table = inImage ? undefined : tableOf(options);
  const entries = entriesAtBoot(root, table && { ...options, table });
  // Directories this persist creates, and those an earlier one created (its files record them).
  const createdDirs = [
    ...new Set([...[...earlier.values()].flatMap(createdDirsOf), ...missingDirs(tree, [loc.dir, ...(loc.link ? [loc.link.dir] : [])])]),
  ];
  const result = exportFiles(all, {
    ...options,
    format: loc.format,
    // As run where the files are: inside an image that is its own /, so no path of this machine is written into it.
    regenerateWith: ['persist', '--via', via],
    createdDirs,
    entries,
    // In an image its own executables decide what is native (the family rule: it may boot anywhere); here, this kernel.
    ...(inImage ? { host: options.host ?? imageHost(tree), command: ['qemu-binfmt'] } : { host: thisKernel(options.host) }),
  });
  if (result.failed[0]) throw result.failed[0].error;

  const leftOut = result.leftOut.map((l) => l.target.registration.name);
  const { files, masked, linked, removed } = writeBootFiles(tree, loc, result.files, leftOut, options.force ?? false);
  const report: PersistReport = {
    via,
    root,
    written: files.map((f) => tree.show(f.inside)),
    linked,
    removed,
    masked: masked.map((path) => tree.show(path)),
    conditions: [
      ...result.plan.conditions,
      ...result.leftOut.map((l) => l.condition),
      ...masked.map((path) => CONDITIONS.BOOT_FILE_MASKED(tree.show(path))),
      // Here, not in an image: where it will boot cannot be told from a tree.
      ...(via === 'binfmt.d' && !inImage && mountedReadOnly('/proc/sys') ? [CONDITIONS.BINFMT_D_SKIPPED(names.join(' '))] : []),
    ],
  };
  const unmasked = new Set(files.flatMap((f) => registrationsIn(f.content).map((r) => r.name)));
  const plan = { ...result.plan, targets: result.plan.targets.filter((t) => unmasked.has(t.registration.name)) };
  if (table && options.now !== false && plan.targets.length) report.enabled = await enablePlanned(plan, { ...options, table });
  return report;
}
