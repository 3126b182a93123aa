#!/usr/bin/env node
import { existsSync, realpathSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import pkg from '../package.json' with { type: 'json' };
import { COMMANDS } from './commands/all.js';
import { globalOptions } from './commands/command.js';
import { printable, processIo, writeJson, type Io } from './commands/output.js';
import { optionWords } from './options/read.js';
import type { BinfmtTable } from './kernel/binfmt-table.js';
import { asQemuBinfmtError, usageError, type QemuBinfmtError } from './errors.js';
import { envelope, errorFinding } from './commands/json.js';
import { EXIT_CODES, TAGLINE } from './usage/about.js';
import { complete } from './usage/complete.js';
import { unknownArgument } from './usage/suggest.js';

/** What a caller may hand to main instead of the system's: the table every command works on (an in-memory one, say). */
export interface MainOptions {
  table?: BinfmtTable;
}

/** Runs the command line and returns its exit code: 0 ok, 1 a target or the system failed, 2 bad input. */
export async function main(args: readonly string[], io: Io = processIo, options: MainOptions = {}): Promise<number> {
  // Node >= 22.1 keeps compiled code between runs (for the modules loaded from here on); Node 20 has none.
  const enableCompileCache: unknown = Reflect.get(nodeModule, 'enableCompileCache');
  if (typeof enableCompileCache === 'function') Reflect.apply(enableCompileCache, nodeModule, []);
  const cwdGone = workingDirectoryGone();
  // yargs reads the working directory as it loads; relative paths are refused (options/read.ts).
  if (cwdGone) process.chdir('/');
  // The completion scripts' question (usage/shells.ts): answered without loading yargs.
  if (args[0] === COMPLETE) return answerCompletion(args.slice(1), io);
  let exitCode = 0;
  let shown = '';
  try {
    const { default: yargs } = await import('yargs');
    const cli = globalOptions(
      yargs([...args])
        .scriptName('qemu-binfmt')
        .version(pkg.version)
        .alias('V', 'version')
        .alias('h', 'help')
        .usage(`$0 <command> [options]\n\n${TAGLINE}`),
    );
    // The terminal's width matters to --help (-h) alone; asking opens standard output as a stream (a few ms).
    const end = args.indexOf('--');
    if (optionWords(args).some((w) => w.name === 'help') || (end < 0 ? args : args.slice(0, end)).includes('-h'))
      cli.wrap(Math.min(110, process.stdout.columns ?? 100));
    for (const command of COMMANDS) cli.command(command({ io, words: args, cwdGone, ...options, done: (code) => (exitCode = code) }));
    await cli
      .demandCommand(1, 'name a command')
      .strict()
      // --force.x=no would otherwise set --force to an object, read as on; the words after -- are run's command, not positionals.
      .parserConfiguration({ 'dot-notation': false, 'populate--': true })
      .exitProcess(false)
      .epilog(`Exit codes: ${EXIT_CODES.map(([code, meaning]) => `${code} ${meaning}`).join(', ')}.`)
      .fail((message, err) => {
        if (err) throw err;
        throw (message.startsWith('Unknown argument') && unknownArgument(COMMANDS, args)) || usageError(message, 'see qemu-binfmt --help');
      })
      // With a callback yargs hands over --help and --version text instead of printing it.
      .parseAsync([...args], {}, (_err, _argv, output) => void (shown = output));
    if (shown) io.stdout(`${shown}\n`);
    return exitCode;
  } catch (err) {
    return report(asQemuBinfmtError(err), args, io);
  }
}

const COMPLETE = '__complete';

function answerCompletion(words: readonly string[], io: Io): number {
  const { words: candidates, directive } = complete(COMMANDS, words);
  io.stdout(candidates.map(([word, describe]) => (describe ? `${word}\t${describe}\n` : `${word}\n`)).join('') + `:${directive}\n`);
  return 0;
}

/** Says what went wrong (as JSON too with --json) and gives the error's exit code; a failing report changes nothing. */
function report(error: QemuBinfmtError, args: readonly string[], io: Io): number {
  try {
    const words = optionWords(args);
    const given = (name: string) => words.some((w) => w.name === name && !w.negated && (w.value === undefined || w.value === 'true'));
    if (given('json')) {
      const word = args.find((a) => !a.startsWith('-'));
      const name = COMMANDS.some((c) => c.commandName === word) ? word! : null;
      const command =
        name === 'status' && given('check') ? 'status --check' : name === 'status' && given('provenance') ? 'status --provenance' : name;
      writeJson(io, envelope(command, [], [errorFinding(error)], {}));
    }
  } catch {
    // standard output is gone: standard error still says it
  }
  try {
    const stack = error.code === 'INTERNAL' && error.cause instanceof Error ? `${error.cause.stack}\n` : '';
    io.stderr(printable(`qemu-binfmt: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`) + stack);
  } catch {
    // nowhere left to say it
  }
  return error.exitCode;
}

function workingDirectoryGone(): boolean {
  try {
    process.cwd();
    return false;
  } catch {
    return true;
  }
}

/** True when this module is the program node runs (not imported by a test). */
function isProgram(): boolean {
  const self = fileURLToPath(import.meta.url);
  const script = process.argv[1];
  // node finds `qemu-binfmt/dist/cli` as cli.js, and the bin through its link.
  return script !== undefined && [script, `${script}.js`].some((p) => existsSync(p) && realpathSync(p) === self);
}

// Without a top-level await, so that this module also bundles as CommonJS (dist/cli.cjs, for bin.ts).
if (isProgram())
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
