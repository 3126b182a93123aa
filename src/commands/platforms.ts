import { PRIMARY_PLATFORMS as PLATFORMS } from '../table/platforms.js';
import { defineCommand } from './command.js';
import { envelope } from './json.js';
import { write, writeJson } from './output.js';
import { formatPlatforms, platformsMarkdown } from './render.js';

export const platformsCommand = defineCommand({
  name: 'platforms',
  describe: 'List the platform table with families and aliases',
  positionals: [],
  options: [['json', 'print the table as JSON'], 'markdown'],
  run: ({ options }, io) => {
    if (options.json)
      writeJson(
        io,
        envelope(
          'platforms',
          PLATFORMS.map(({ rule: _rule, ...record }) => record),
          [],
          {},
        ),
      );
    else write(io, { stdout: options.markdown ? platformsMarkdown(PLATFORMS) : formatPlatforms(PLATFORMS), stderr: [] });
    return 0;
  },
});
