import type { Argv, CommandModule } from 'yargs';
import { enable } from '../enable.js';
import { allowPrivateOption, installerOptions } from './installer.js';
import { defined, finish } from './output.js';
import { planOptionsOf, withPlanOptions, type PlanArgs } from './plan-options.js';

interface EnableArgs extends PlanArgs {
  'binfmt-dir'?: string;
  mount?: boolean;
  force?: boolean;
  'dry-run'?: boolean;
  chroot?: string[];
  verify?: boolean;
  'allow-private'?: boolean;
  json?: boolean;
}

export const enableCommand: CommandModule<object, EnableArgs> = {
  command: 'enable <platforms..>',
  describe: 'Register QEMU for platforms (names, aliases, or all)',
  builder: (y: Argv) =>
    withPlanOptions(y)
      .option('mount', { type: 'boolean', describe: 'mount binfmt_misc if it is not mounted (it is never unmounted)' })
      .option('force', { type: 'boolean', describe: 'replace a same-named entry that differs' })
      .option('dry-run', { type: 'boolean', describe: 'print the exact lines and checks; write nothing' })
      .option('chroot', {
        type: 'string',
        array: true,
        describe: 'bind each interpreter (and, if dynamic, its libraries) read-only into this chroot at the same path; repeatable',
      })
      .option('verify', { type: 'boolean', describe: "run each platform's probe through the kernel afterwards (qemu-binfmt test)" })
      .option('allow-private', allowPrivateOption)
      .option('json', { type: 'boolean', describe: 'print a JSON report (the per-platform lines go to stderr)' }) as unknown as Argv<EnableArgs>,
  handler: async (argv) => {
    const report = await enable(argv.platforms, {
      ...planOptionsOf(argv),
      ...installerOptions(argv['allow-private']),
      ...defined({ binfmtDir: argv['binfmt-dir'], mount: argv.mount, force: argv.force, dryRun: argv['dry-run'], chroots: argv.chroot, verify: argv.verify }),
    });
    finish(report, argv.json);
  },
};
