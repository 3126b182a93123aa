import { resolve } from 'node:path';
import { asQemuBinfmtError, type QemuBinfmtError, usageError } from '../errors.js';
import { Tree } from '../fs/tree.js';
import { EXPORTERS, type ExportFormat } from '../boot/exporters/index.js';
import type { ExportFile } from '../boot/exporters/types.js';
import { planArgs } from '../options/args.js';
import { planEnable, type Plan, type PlanOptions } from '../plan/plan.js';
import { shellQuote } from '../boot/quote.js';

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
  /** Platforms left out (another tool's emulator serves them). */
  leaveOut?: readonly string[];
}

export interface ExportResult {
  format: ExportFormat;
  files: ExportFile[];
  /** Absolute paths written (with output). */
  written: string[];
  /** Explicitly named platforms whose interpreter was not found. */
  failed: Array<{ platform: string; error: QemuBinfmtError }>;
  plan: Plan;
}

/** Renders (and with output, writes) the files for a format, from the same plan enable makes. */
export function exportFiles(names: readonly string[], options: ExportOptions): ExportResult {
  const planned = planEnable(names, options);
  const plan = { ...planned, targets: planned.targets.filter((t) => !options.leaveOut?.includes(t.platform.name)) };
  const enableArgs = planArgs(options);
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
    ...(options.createdDirs ? { createdDirs: options.createdDirs } : {}),
  });
  const written: string[] = [];
  if (options.output !== undefined && files.length > 0) written.push(...writeInto(resolve(options.output), files));
  return {
    format: options.format,
    files,
    written,
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
