#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { globalOptions, type Command } from './commands/command.js';
import { disableCommand } from './commands/disable.js';
import { enableCommand } from './commands/enable.js';
import { exportCommand } from './commands/export.js';
import { processIo, writeJson, type Io } from './commands/output.js';
import { persistCommand, unpersistCommand } from './commands/persist.js';
import { platformsCommand } from './commands/platforms.js';
import { sandboxCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';
import { testCommand } from './commands/test.js';
import { asQemuBinfmtError, errorInfo, usageError } from './errors.js';

const COMMANDS: readonly Command[] = [
  enableCommand,
  disableCommand,
  statusCommand,
  platformsCommand,
  exportCommand,
  persistCommand,
  unpersistCommand,
  sandboxCommand,
  testCommand,
];

/** Runs the command line and returns its exit code: 0 ok, 1 a target or the system failed, 2 bad input. */
export async function main(args: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = 0;
  const cli = globalOptions(
    yargs([...args])
      .scriptName('qemu-binfmt')
      .usage('$0 <command> [options]\n\nRegister QEMU user-mode emulators with binfmt_misc, and only touch what it registered.'),
  );
  for (const command of COMMANDS) cli.command(command(io, (code) => (exitCode = code)));
  try {
    await cli
      .demandCommand(1, 'name a command')
      .strict()
      .exitProcess(false)
      .epilog('Exit codes: 0 ok, 1 a target or the system failed (every target is attempted), 2 bad input (nothing written).')
      .fail((message, err) => {
        throw err ?? usageError(message, 'see qemu-binfmt --help');
      })
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .parseAsync();
    return exitCode;
  } catch (err) {
    const error = asQemuBinfmtError(err);
    if (args.includes('--json')) writeJson(io, { ok: false, error: errorInfo(error) });
    const stack = error.code === 'INTERNAL' && error.cause instanceof Error ? `${error.cause.stack}\n` : '';
    io.stderr(`qemu-binfmt: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}${stack}`);
    return error.exitCode;
  }
}

/** True when this module is the program node runs (not imported by a test). */
function isProgram(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isProgram()) process.exitCode = await main(hideBin(process.argv));
