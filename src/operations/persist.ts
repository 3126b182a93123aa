import { CONDITIONS, type Condition } from '../conditions.js';
import { join, resolve } from 'node:path';
import { Tree } from '../fs/tree.js';
import { mountedReadOnly } from '../fs/mount.js';
import { detectVia, LOCATIONS, type Via } from '../boot/locations.js';
import { enablePlanned, type EnableOptions } from './enable.js';
import { QemuBinfmtError } from '../errors.js';
import { exportFiles } from './export.js';
import { createdDirsOf, readIfOurs } from '../boot/file-mark.js';
import { imageHost, thisKernel } from '../plan/host.js';
import { registrationsIn } from '../boot/persisted-registrations.js';
import { isAll, PLATFORMS, resolvePlatforms, type Platform } from '../table/platforms.js';
import type { Entry } from '../codec/entry.js';
import { accessTable } from '../kernel/access.js';
import { otherServers } from '../plan/served.js';
import { leftTo } from '../plan/preferences.js';
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
}

export interface PersistReport {
  via: Via;
  root: string;
  written: string[];
  linked: string[];
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
      .filter((name) => name.startsWith('qemu-'))
      .flatMap((name) => {
        const content = readIfOurs(tree, join(dir, name));
        return content === undefined ? [] : [[name, content] as const];
      }),
  );
}

/** The named platforms (all: every one) that another tool's entry in the live table serves now, each with that entry. */
async function servedByOthers(
  names: readonly string[],
  options: PersistOptions,
): Promise<Array<{ platform: Platform; entry: Entry | undefined }>> {
  const { table, mounted } = await accessTable({ ...options, mount: false }, false, false);
  if (!mounted) return [];
  const entries = table.list();
  return (isAll(names) ? PLATFORMS : resolvePlatforms(names)).flatMap((platform) => {
    const left = leftTo(platform, otherServers(platform, entries), options.preferences);
    return left ? [{ platform, entry: left.entry }] : [];
  });
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

/** Writes the files where the boot system reads them (an administrator's mask kept unless forced), and the unit's link. */
function writeBootFiles(tree: Tree, loc: (typeof LOCATIONS)[Via], exported: ReturnType<typeof exportFiles>['files'], force: boolean) {
  const every = exported.map((f) => ({ ...f, inside: join(loc.dir, f.name) }));
  const masked = force ? [] : every.filter((f) => isMask(tree, f.inside));
  const files = every.filter((f) => !masked.includes(f));
  const link = loc.link && files.length > 0 && { inside: join(loc.link.dir, loc.link.name), target: loc.link.target };
  checkBeforeWriting(tree, files, link && { ...link, dir: loc.link!.dir });
  for (const f of files) tree.writeFile(f.inside, f.content, f.mode);
  const linked: string[] = [];
  if (link && !tree.stat(link.inside, false)) {
    tree.symlink(link.target, link.inside);
    linked.push(tree.show(link.inside));
  }
  return { files, masked, linked };
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
  // Here, not in an image: a platform another tool's emulator serves now is left to it, in the files too.
  const served = inImage ? [] : await servedByOthers(names, options);
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
    leaveOut: served.map((s) => s.platform.name),
    // In an image its own executables decide what is native (the family rule: it may boot anywhere); here, this kernel.
    ...(inImage ? { host: options.host ?? imageHost(tree), command: ['qemu-binfmt'] } : { host: thisKernel(options.host) }),
  });
  if (result.failed[0]) throw result.failed[0].error;

  const { files, masked, linked } = writeBootFiles(tree, loc, result.files, options.force ?? false);
  const report: PersistReport = {
    via,
    root,
    written: files.map((f) => tree.show(f.inside)),
    linked,
    masked: masked.map((f) => tree.show(f.inside)),
    conditions: [
      ...result.plan.conditions,
      ...served.map((s) =>
        s.entry ? CONDITIONS.SERVED_BY_OTHER(s.entry.name, s.entry.interpreter, s.platform.name) : CONDITIONS.NO_PREFERRED(s.platform.name),
      ),
      ...masked.map((f) => CONDITIONS.BOOT_FILE_MASKED(tree.show(f.inside))),
      // Here, not in an image: where it will boot cannot be told from a tree.
      ...(via === 'binfmt.d' && !inImage && mountedReadOnly('/proc/sys') ? [CONDITIONS.BINFMT_D_SKIPPED(names.join(' '))] : []),
    ],
  };
  const unmasked = new Set(files.flatMap((f) => registrationsIn(f.content).map((r) => r.name)));
  const plan = { ...result.plan, targets: result.plan.targets.filter((t) => unmasked.has(t.registration.name)) };
  if (!inImage && options.now !== false && plan.targets.length) report.enabled = await enablePlanned(plan, options);
  return report;
}
