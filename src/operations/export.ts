import { resolve } from 'node:path';
import { asQemuBinfmtError, type QemuBinfmtError, usageError } from '../errors.js';
import { Tree } from '../fs/tree.js';
import { DECIDES, EXPORTERS, type ExportFormat } from '../boot/exporters/index.js';
import type { ExportFile } from '../boot/exporters/types.js';
import { argsOf, planArgs } from '../options/args.js';
import { planEnable, type Plan, type PlannedTarget, type PlanOptions } from '../plan/plan.js';
import { bootChoice, leftCondition, type Preferences } from '../plan/preferences.js';
import { otherServers } from '../plan/served.js';
import type { Entry } from '../codec/entry.js';
import type { Condition } from '../conditions.js';
import { tableOf, type TableOptions } from '../kernel/access.js';
import { shellQuote } from '../boot/quote.js';
import { bootEntries } from '../boot/persisted-registrations.js';

export interface ExportOptions extends PlanOptions {
  format: ExportFormat;
  /** Write the files into this directory; without it they are returned for printing. */
  output?: string;
  /** How boot units run qemu-binfmt (absolute node and CLI paths). */
  command: readonly string[];
  /** Directories (relative to a root) that writing the files creates; recorded in their header. */
  createdDirs?: readonly string[];
  /** The qemu-binfmt command and its own options that regenerate the files (default: this export). */
  regenerateWith?: readonly string[];
  /** The entries in the live table now, whose other emulators' ones may serve platforms (none: an image, or no table). */
  entries?: readonly Entry[];
  /** The emulator wanted per platform (plan/preferences.ts). */
  preferences?: Preferences;
  /** Ours wins where another tool's entry serves a platform. */
  takeOver?: boolean;
  /** The preferences file named on the command line: boot units read it at boot. */
  preferencesFile?: string;
}

export interface ExportResult {
  format: ExportFormat;
  files: ExportFile[];
  /** Absolute paths written (with output). */
  written: string[];
  /** Planned platforms left to another emulator, so left out of the files, and what is said of each. */
  leftOut: Array<{ target: PlannedTarget; condition: Condition }>;
  /** Explicitly named platforms whose interpreter was not found. */
  failed: Array<{ platform: string; error: QemuBinfmtError }>;
  plan: Plan;
}

/**
 * The entries there will be at boot, as far as can be told: the live table's, where this
 * namespace's is mounted (not for an image), then those that other tools' boot files under the
 * root register.
 */
export function entriesAtBoot(root: string, live?: TableOptions): Entry[] {
  const table = live && tableOf(live);
  const now = table?.mountState() === 'mounted' ? table.list() : [];
  return [...now, ...bootEntries(root).filter((b) => !now.some((e) => e.name === b.name))];
}

/**
 * Renders (and with output, writes) the files for a format, from the same plan enable makes.
 * A platform left to another tool's emulator (plan/preferences.ts) is left out of the files, but
 * where they decide at boot and the preferences fall back on qemu; ours is ordered last where it
 * must win over another's.
 */
export function exportFiles(names: readonly string[], options: ExportOptions): ExportResult {
  const planned = planEnable(names, options);
  const decides = DECIDES[options.format];
  const choices = new Map(
    decides === 'never'
      ? []
      : planned.targets.map((t) => [
          t.platform.name,
          bootChoice(t.platform, otherServers(t.platform, options.entries ?? []), options.preferences, options.takeOver),
        ]),
  );
  const leftOut = planned.targets.flatMap((target) => {
    const { left, yieldTo = [] } = choices.get(target.platform.name) ?? {};
    return left && !(decides === 'at-boot' && yieldTo.length) ? [{ target, condition: leftCondition(target.platform.name, left) }] : [];
  });
  const plan = { ...planned, targets: planned.targets.filter((t) => !leftOut.some((l) => l.target === t)) };
  // What regenerates the files, and what a unit's enable runs at boot.
  const enableArgs = [...planArgs(options), ...(decides === 'never' ? [] : argsOf(options, ['take-over', 'preferences']))];
  const command = options.regenerateWith ?? [
    'export',
    '--format',
    options.format,
    ...(options.output !== undefined ? ['--output', resolve(options.output)] : []),
  ];
  const regenerate = ['qemu-binfmt', ...command, ...names, ...enableArgs].map(shellQuote).join(' ');
  const files = EXPORTERS[options.format]({
    targets: plan.targets,
    regenerate,
    command: options.command,
    enableArgs,
    choices,
    ...(options.createdDirs ? { createdDirs: options.createdDirs } : {}),
  });
  const written: string[] = [];
  if (options.output !== undefined && files.length > 0) written.push(...writeInto(resolve(options.output), files));
  return {
    format: options.format,
    files,
    written,
    leftOut,
    failed: plan.missing.map(({ platform, error }) => ({ platform: platform.name, error })),
    plan,
  };
}

/**
 * Writes the files into a directory that someone else may own: the directory is held open, and
 * each file is written beside its target and renamed over it (a link or anything but a file
 * there is refused before anything is written; an existing file keeps its mode and owner).
 */
function writeInto(output: string, files: readonly ExportFile[]): string[] {
  Tree.makeDirs(output);
  const tree = Tree.open(output);
  try {
    for (const file of files) {
      const st = tree.stat(file.name, false);
      if (st && !st.isFile())
        throw usageError(
          `${tree.show(file.name)} ${st.isSymbolicLink() ? 'is a symbolic link' : 'exists and is not a file'}, so nothing was written`,
          'move it away, or choose another --output directory',
        );
    }
    const written: string[] = [];
    for (const file of files) {
      try {
        tree.writeFile(file.name, file.content, file.mode);
      } catch (err) {
        const before = written.length ? `; written before it: ${written.join(' ')}` : '';
        throw asQemuBinfmtError(err).withContext(`${asQemuBinfmtError(err).message}${before}`);
      }
      written.push(tree.show(file.name));
    }
    return written;
  } finally {
    tree.close();
  }
}
