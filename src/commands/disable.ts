import type { Argv, CommandModule } from 'yargs';
import { disable } from '../disable.js';
import { allowPrivateOption, installerOptions } from './installer.js';
import { defined, finish } from './output.js';

interface DisableArgs {
  platforms: string[];
  'binfmt-dir'?: string;
  force?: boolean;
  'dry-run'?: boolean;
  chroot?: string[];
  'allow-private'?: boolean;
  json?: boolean;
}

export const disableCommand: CommandModule<object, DisableArgs> = {
  command: 'disable <platforms..>',
  describe: "Remove qemu-binfmt's entries for platforms (or all); other entries are left alone",
  builder: (y: Argv) =>
    y
      .positional('platforms', { type: 'string', array: true, demandOption: true, describe: 'platforms or aliases, or all' })
      .option('force', { type: 'boolean', describe: 'remove a same-named entry even when its magic/mask are not ours' })
      .option('dry-run', { type: 'boolean', describe: 'say what would be removed; write nothing' })
      .option('chroot', { type: 'string', array: true, describe: 'also unmount what enable --chroot bound into this chroot; repeatable' })
      .option('allow-private', allowPrivateOption)
      .option('json', { type: 'boolean', describe: 'print a JSON report (the per-platform lines go to stderr)' }) as unknown as Argv<DisableArgs>,
  handler: async (argv) => {
    const report = await disable(argv.platforms, {
      ...defined({ binfmtDir: argv['binfmt-dir'], force: argv.force, dryRun: argv['dry-run'], chroots: argv.chroot }),
      ...installerOptions(argv['allow-private']),
    });
    finish(report, argv.json);
  },
};
