import type { Argv, CommandModule } from 'yargs';
import { formatProbeReport } from '../format.js';
import { testPlatforms } from '../probe-test.js';
import { defined, write, writeJson } from './output.js';

interface TestArgs {
  platforms: string[];
  'binfmt-dir'?: string;
  json?: boolean;
}

export const testCommand: CommandModule<object, TestArgs> = {
  command: 'test [platforms..]',
  describe: 'Prove registrations work: run a tiny probe executable per platform through the kernel',
  builder: (y: Argv) =>
    y
      .positional('platforms', { type: 'string', array: true, default: [], describe: 'platforms or aliases (default: all registered)' })
      .option('json', { type: 'boolean', describe: 'print a JSON report' }) as unknown as Argv<TestArgs>,
  handler: async (argv) => {
    const report = await testPlatforms(argv.platforms, defined({ binfmtDir: argv['binfmt-dir'] }));
    if (argv.json) writeJson(report);
    else write(formatProbeReport(report));
    if (!report.ok) process.exitCode = 1;
  },
};
