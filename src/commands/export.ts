import { realpathSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { exportFiles } from '../export.js';
import { EXPORT_FORMATS, type ExportFormat } from '../exporters/index.js';
import { write } from './output.js';
import { planOptionsOf, withPlanOptions, type PlanArgs } from './plan-options.js';

interface ExportArgs extends PlanArgs {
  format: ExportFormat;
  output?: string;
}

/** How boot units run this qemu-binfmt: this node and this CLI, by absolute path. */
export function selfCommand(): string[] {
  return [process.execPath, realpathSync(process.argv[1]!)];
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <platforms..>',
  describe: 'Write the registrations for a boot system: binfmt.d, binfmt-support, sh, systemd-unit or openrc',
  builder: (y: Argv) =>
    withPlanOptions(y)
      .option('format', { choices: EXPORT_FORMATS, demandOption: true, describe: 'what to write' })
      .option('output', { type: 'string', describe: 'write the files into this directory (default: print them)' }) as unknown as Argv<ExportArgs>,
  handler: async (argv) => {
    const result = await exportFiles(argv.platforms, {
      ...planOptionsOf(argv),
      format: argv.format,
      command: selfCommand(),
      ...(argv.output !== undefined ? { output: argv.output } : {}),
    });
    const stdout =
      argv.output !== undefined
        ? result.written.map((path) => `wrote ${path}`)
        : result.files.flatMap((f) => (result.files.length > 1 ? [`==> ${f.name} <==`, f.content] : [f.content.trimEnd()]));
    const stderr = result.failed.map(({ error }) => `qemu-binfmt: ${error.describe()}`);
    write({ stdout, stderr });
    if (result.failed.length) process.exitCode = 1;
  },
};
