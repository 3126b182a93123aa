import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoOf, QemuBinfmtError, usageError } from '../errors.js';
import { EXPORTERS, type ExportFormat } from './exporters/index.js';
import type { ExportFile } from './exporters/types.js';
import { planArgs } from '../options/args.js';
import { planEnable, type Plan, type PlanOptions } from '../plan/plan.js';
import { shellQuote } from './quote.js';

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
export async function exportFiles(names: readonly string[], options: ExportOptions): Promise<ExportResult> {
  const plan = await planEnable(names, options);
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
  if (options.output !== undefined && files.length > 0) {
    const paths = files.map((file) => resolve(join(options.output!, file.name)));
    const blocked = paths.find((path) => existsSync(path) && !statSync(path).isFile());
    if (blocked)
      throw usageError(`${blocked} exists and is not a file, so nothing was written`, 'move it away, or choose another --output directory');
    try {
      mkdirSync(options.output, { recursive: true });
    } catch (err) {
      throw new QemuBinfmtError('IO', `cannot make ${resolve(options.output)}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}`, {
        path: resolve(options.output),
        cause: err,
        hint: 'name a directory that can be made',
      });
    }
    for (const [i, file] of files.entries()) {
      const path = paths[i]!;
      try {
        writeFileSync(path, file.content, { mode: file.mode });
        chmodSync(path, file.mode);
      } catch (err) {
        const before = written.length ? `; written before it: ${written.join(' ')}` : '';
        throw new QemuBinfmtError('IO', `cannot write ${path}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}${before}`, {
          path,
          cause: err,
          hint: 'check that the directory is writable and its disk not full, then export again',
        });
      }
      written.push(path);
    }
  }
  return {
    format: options.format,
    files,
    written,
    failed: plan.missing.map(({ platform, error }) => ({ platform: platform.name, error })),
    plan,
  };
}
