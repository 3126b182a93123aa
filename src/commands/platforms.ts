import type { Argv, CommandModule } from 'yargs';
import { formatPlatforms, platformsMarkdown } from '../format.js';
import { PLATFORMS } from '../platforms.js';
import { write, writeJson } from './output.js';

interface PlatformsArgs {
  json?: boolean;
  markdown?: boolean;
}

export const platformsCommand: CommandModule<object, PlatformsArgs> = {
  command: 'platforms',
  describe: 'List the platform table with families and aliases',
  builder: (y: Argv) =>
    y
      .option('json', { type: 'boolean', describe: 'print the table as JSON' })
      .option('markdown', { type: 'boolean', describe: 'print the table as Markdown (as in the README)' }) as unknown as Argv<PlatformsArgs>,
  handler: (argv) => {
    if (argv.json) writeJson(PLATFORMS.map(({ rule: _rule, ...record }) => record));
    else write({ stdout: argv.markdown ? platformsMarkdown(PLATFORMS) : formatPlatforms(PLATFORMS), stderr: [] });
  },
};
