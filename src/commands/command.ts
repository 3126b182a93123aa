import type { Argv, CommandModule } from 'yargs';
import { usageError } from '../errors.js';
import { OPTIONS, type OptionDef, type OptionName, type OptionValues } from '../options/definitions.js';
import type { Io } from './output.js';

export interface Positional {
  name: 'platforms' | 'daemon';
  describe: string;
  /** Takes every remaining word. */
  variadic?: boolean;
  /** Must be given. */
  demand?: boolean;
  choices?: readonly string[];
}

export interface CommandInput<N extends OptionName> {
  platforms: string[];
  daemon: string | undefined;
  options: OptionValues<N>;
}

/** A command: its words, the options it takes (from options/definitions.ts), and one call to the core. */
export interface CommandSpec<N extends OptionName> {
  name: string;
  describe: string;
  positionals: readonly Positional[];
  /** The options it takes; a pair gives this command's own help for the option. */
  options: ReadonlyArray<N | readonly [N, string]>;
  /** Does the work and returns the exit code. */
  run(input: CommandInput<N>, io: Io): Promise<number> | number;
}

/** A command ready for yargs: given where to write and where to put its exit code. */
export type Command = (io: Io, done: (exitCode: number) => void) => CommandModule;

export function defineCommand<const N extends OptionName>(spec: CommandSpec<N>): Command {
  const uses = spec.options.map((use) => (typeof use === 'string' ? ([use, undefined] as const) : use));
  const words = spec.positionals.map((p) => {
    const word = `${p.name}${p.variadic ? '..' : ''}`;
    return p.demand ? `<${word}>` : `[${word}]`;
  });
  return (io, done) => ({
    command: [spec.name, ...words].join(' '),
    describe: spec.describe,
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
      const options = readOptions(
        argv,
        uses.map(([name]) => name),
      );
      const platforms = Array.isArray(argv.platforms) ? argv.platforms.map(String) : [];
      const daemon = typeof argv.daemon === 'string' ? argv.daemon : undefined;
      done(await spec.run({ platforms, daemon, options }, io));
    },
  });
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
  for (const [name, def] of Object.entries(OPTIONS) as Array<[OptionName, OptionDef]>) {
    if (def.global) y.option(name, { ...yargsOption(def, undefined), global: true });
  }
  return y;
}

/** yargs gives strings for string options; anything else is shown as JSON. */
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Maps parsed argv to library options by the definitions; a single-value option given twice is bad input. */
export function readOptions<N extends OptionName>(argv: Readonly<Record<string, unknown>>, names: readonly N[]): OptionValues<N> {
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const def: OptionDef = OPTIONS[name];
    const value = argv[name];
    if (value === undefined) continue;
    if (def.kind !== 'strings' && Array.isArray(value)) {
      throw usageError(
        `--${name} was given more than once (${value.map((v) => JSON.stringify(text(v))).join(', ')})`,
        `give --${name} once`,
      );
    }
    values[def.key] =
      def.kind === 'strings' ? (Array.isArray(value) ? value : [value]).map(text) : def.kind === 'string' ? text(value) : value;
  }
  return values as OptionValues<N>;
}
