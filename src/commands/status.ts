import type { Argv, CommandModule } from 'yargs';
import { formatStatus } from '../format.js';
import { status } from '../status.js';
import { installerOptions } from './installer.js';
import { defined, write, writeJson } from './output.js';

interface StatusArgs {
  platforms: string[];
  'binfmt-dir'?: string;
  root?: string;
  json?: boolean;
}

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status [platforms..]',
  describe: 'Show what is registered (read-only)',
  builder: (y: Argv) =>
    y
      .positional('platforms', { type: 'string', array: true, default: [], describe: 'platforms or aliases (default: all)' })
      .option('root', { type: 'string', describe: 'where to look for persisted registrations [default: /]' })
      .option('json', { type: 'boolean', describe: 'print JSON (shape in the README)' }) as unknown as Argv<StatusArgs>,
  handler: async (argv) => {
    // In the container image, status mounts binfmt_misc too, so that it can read the host's table.
    const report = await status(argv.platforms, { ...defined({ binfmtDir: argv['binfmt-dir'], root: argv.root }), ...installerOptions(true) });
    if (argv.json) writeJson(report);
    else write(formatStatus(report, argv.platforms.length > 0));
    if (!report.mounted) process.exitCode = 1;
  },
};
