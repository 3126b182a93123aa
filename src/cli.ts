#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { disableCommand } from './commands/disable.js';
import { enableCommand } from './commands/enable.js';
import { exportCommand } from './commands/export.js';
import { persistCommand, unpersistCommand } from './commands/persist.js';
import { sandboxCommand } from './commands/sandbox.js';
import { testCommand } from './commands/test.js';
import { writeJson } from './commands/output.js';
import { platformsCommand } from './commands/platforms.js';
import { statusCommand } from './commands/status.js';
import { errorInfo } from './report.js';
import { asQemuBinfmtError, QemuBinfmtError, usageError } from './errors.js';

const args = hideBin(process.argv);

try {
  await yargs(args)
    .scriptName('qemu-binfmt')
    .usage('$0 <command> [options]\n\nRegister QEMU user-mode emulators with binfmt_misc, and only touch what it registered.')
    .option('binfmt-dir', {
      type: 'string',
      global: true,
      describe: 'binfmt_misc directory [default: $QEMU_BINFMT_DIR or /proc/sys/fs/binfmt_misc]',
    })
    .command(enableCommand)
    .command(disableCommand)
    .command(statusCommand)
    .command(platformsCommand)
    .command(exportCommand)
    .command(persistCommand)
    .command(unpersistCommand)
    .command(sandboxCommand)
    .command(testCommand)
    .demandCommand(1, 'name a command')
    .strict()
    .epilog('Exit codes: 0 ok, 1 a target or the system failed (every target is attempted), 2 bad input (nothing written).')
    .fail((message, err) => {
      throw err ?? usageError(message, 'see qemu-binfmt --help');
    })
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .parseAsync();
} catch (err) {
  const error = err instanceof QemuBinfmtError ? err : undefined;
  if (args.includes('--json')) writeJson({ ok: false, error: errorInfo(asQemuBinfmtError(err)) });
  if (error) {
    process.stderr.write(`qemu-binfmt: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
  } else {
    process.stderr.write(`qemu-binfmt: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  process.exitCode = error?.exitCode ?? 1;
}
