import { COMPLETION_SCRIPTS, SHELLS, type Shell } from '../usage/shells.js';
import { defineCommand } from './command.js';

export const completionCommand = defineCommand({
  name: 'completion',
  describe: 'Print the shell completion script for bash, zsh or fish (commands, options, platform names and aliases)',
  positionals: [{ name: 'shell', demand: true, choices: SHELLS, describe: 'the shell' }],
  options: [],
  run: ({ shell }, io) => {
    io.stdout(COMPLETION_SCRIPTS[shell as Shell]);
    return 0;
  },
});
