import type { Argv, CommandModule } from 'yargs';
import { GLOBAL_OPTIONS, OPTIONS, type OptionDef, type OptionName, type OptionValues } from '../options/definitions.js';
import { optionWords, readOptions } from '../options/read.js';
import { usageError } from '../errors.js';
import type { Io } from './output.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { POSITIONAL_NAMES, type CommandUsage, type Positional } from '../usage/command-usage.js';

interface CommandInput<N extends OptionName> {
  platforms: string[];
  files: string[];
  daemon: string | undefined;
  shell: string | undefined;
  /** The words after `--` (run's COMMAND). */
  command: string[];
  /** The options given, and the table main was handed (for every core function that takes one). */
  options: OptionValues<N> & { table?: BinfmtTable };
}

/** A command: its words, the options it takes (from options/definitions.ts), and one call to the core. */
export interface CommandSpec<N extends OptionName> {
  name: string;
  describe: string;
  positionals: readonly Positional[];
  /** The options it takes; a pair gives this command's own help for the option. */
  options: ReadonlyArray<N | readonly [N, string]>;
  /** Takes a command after `--`, shown in its description as this. */
  command?: string;
  /** Does the work and returns the exit code. */
  run(input: CommandInput<N>, io: Io): Promise<number> | number;
}

/** What a command is run with: where to write, the words of the command line, where its exit code goes. */
interface RunContext {
  io: Io;
  words: readonly string[];
  /** The working directory was deleted (main moved to /): relative paths are refused. */
  cwdGone: boolean;
  /** The table to work on instead of the kernel's at --binfmt-dir (main's caller gave it). */
  table?: BinfmtTable;
  done: (exitCode: number) => void;
}

/** A command ready for yargs, its name, and what it takes (for completion, suggestions and the man page). */
export type Command = ((context: RunContext) => CommandModule) & CommandUsage;

export function defineCommand<const N extends OptionName>(spec: CommandSpec<N>): Command {
  const uses = spec.options.map((use) => (typeof use === 'string' ? ([use, undefined] as const) : use));
  const usage = spec.positionals.map((p) => {
    const word = `${p.name}${p.variadic ? '..' : ''}`;
    return p.demand ? `<${word}>` : `[${word}]`;
  });
  const module = ({ io, words, cwdGone, table, done }: RunContext): CommandModule => ({
    command: [spec.name, ...usage].join(' '),
    describe: spec.command ? `${spec.describe}: ${spec.name} ... ${spec.command}` : spec.describe,
    builder: (y: Argv) => {
      for (const p of spec.positionals) {
        y.positional(p.name, {
          describe: p.describe,
          ...(p.choices ? { choices: p.choices } : { type: 'string' }),
          ...(p.variadic ? { array: true } : {}),
          ...(p.demand ? { demandOption: true } : p.variadic ? { default: [] } : {}),
        });
      }
      for (const [name, describe] of uses) {
        const def: OptionDef = OPTIONS[name];
        if (!def.global) y.option(name, yargsOption(def, describe));
      }
      return y;
    },
    handler: async (argv) => {
      // yargs takes a positional's name as an option too (--platforms arm): it is none.
      const named = optionWords(words).find((w) => !w.negated && (POSITIONAL_NAMES as readonly string[]).includes(w.name));
      if (named) throw usageError(`${spec.name} has no option --${named.name}`, `give the ${named.name} as words, without --${named.name}`);
      const options = {
        ...readOptions(
          { argv, words, cwdGone },
          uses.map(([name]) => name),
        ),
        ...(table ? { table } : {}),
      };
      const platforms = Array.isArray(argv.platforms) ? argv.platforms.map(String) : [];
      const files = Array.isArray(argv.files) ? argv.files.map(String) : [];
      const daemon = typeof argv.daemon === 'string' ? argv.daemon : undefined;
      const shell = typeof argv.shell === 'string' ? argv.shell : undefined;
      const end = words.indexOf('--');
      const command = end < 0 ? [] : words.slice(end + 1);
      if (command.length && !spec.command) throw usageError(`${spec.name} takes no command after --`, 'see qemu-binfmt --help');
      done(await spec.run({ platforms, files, daemon, shell, command, options }, io));
    },
  });
  return Object.assign(module, { commandName: spec.name, spec: { ...spec, options: uses } });
}

function yargsOption(def: OptionDef, describe: string | undefined) {
  return {
    describe: describe ?? def.describe,
    ...(def.choices ? { choices: def.choices } : { type: def.kind === 'boolean' ? ('boolean' as const) : ('string' as const) }),
    ...(def.kind === 'strings' ? { array: true } : {}),
    ...(def.default !== undefined ? { default: def.default } : {}),
    ...(def.demand ? { demandOption: true } : {}),
  };
}

/** The global options, defined once for every command. */
export function globalOptions(y: Argv): Argv {
  for (const [name, def] of GLOBAL_OPTIONS) y.option(name, { ...yargsOption(def, undefined), global: true });
  return y;
}

/**
 * The options exactly as a core function takes them: a key it does not know (a typo in
 * options/definitions.ts, say) is a compile error rather than an option silently dropped.
 */
export function exactly<T>() {
  return <V extends T>(values: V & Record<Exclude<keyof V, keyof T>, never>): T => values;
}
