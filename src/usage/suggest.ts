import { closest } from '../closest.js';
import type { CommandUsage } from './command-usage.js';
import { usageError, type QemuBinfmtError } from '../errors.js';
import { GLOBAL_OPTIONS, optionDef } from '../options/definitions.js';
import { optionWords } from '../options/read.js';

/** Options every command takes besides the global ones of the table. */
const BUILT_IN = ['help', 'version'];

/**
 * For a command line yargs refused with an unknown argument: the word that is unknown and what
 * was probably meant (a command, an option of this command, an option of another command, or a
 * command written as an option). Undefined when the words give no better answer than yargs'.
 */
export function unknownArgument(commands: readonly CommandUsage[], args: readonly string[]): QemuBinfmtError | undefined {
  const command = commandWord(args);
  const names = commands.map((c) => c.commandName);
  if (command === undefined) return undefined;
  const chosen = commands.find((c) => c.commandName === command);
  if (!chosen) {
    const guess = closest(command, names);
    return usageError(
      `${JSON.stringify(command)} is not a command`,
      guess ? `did you mean ${guess}? (qemu-binfmt --help lists the commands)` : 'qemu-binfmt --help lists the commands',
    );
  }
  const own = new Set<string>([...chosen.spec.options.map(([name]) => name), ...GLOBAL_OPTIONS.map(([name]) => name), ...BUILT_IN]);
  const unknown = optionWords(args).find((w) => !own.has(w.name));
  if (!unknown) return undefined;
  const written = `--${unknown.negated ? 'no-' : ''}${unknown.name}`;
  const message = `${command} has no option ${written}`;
  const meant = commands.find((c) => c.commandName === unknown.name);
  if (meant)
    return usageError(
      message,
      `${meant.commandName} is a command: qemu-binfmt ${[meant.commandName, ...carried(args, command, meant)].join(' ')}`,
    );
  const others = commands.filter((c) => c !== chosen && c.spec.options.some(([name]) => name === unknown.name)).map((c) => c.commandName);
  if (others.length) return usageError(message, `--${unknown.name} is an option of ${list(others)} (qemu-binfmt ${others[0]} --help)`);
  const begun = [...own].filter((name) => unknown.name.length > 1 && name.startsWith(unknown.name));
  const guesses = begun.length ? begun : [closest(unknown.name, own)].filter((g) => g !== undefined);
  return usageError(
    message,
    guesses.length
      ? `did you mean ${list(
          guesses.map((g) => `--${g}`),
          'or',
        )}?`
      : `qemu-binfmt ${command} --help lists its options`,
  );
}

/** The words of a command line that another command takes too: its positionals and the options it knows, with their values. */
function carried(args: readonly string[], from: string, to: CommandUsage): string[] {
  const known = new Set<string>([...to.spec.options.map(([name]) => name), ...GLOBAL_OPTIONS.map(([name]) => name)]);
  const out: string[] = [];
  let dropValue = false;
  for (const word of args) {
    const option = optionWords([word])[0];
    if (dropValue) dropValue = false;
    else if (!option) {
      if (word !== from) out.push(word);
    } else if (known.has(option.name)) out.push(word);
    else dropValue = option.value === undefined && optionDef(option.name)?.kind !== 'boolean' && optionDef(option.name) !== undefined;
  }
  return out;
}

/** The first word that is neither an option nor a global option's value: the command. */
function commandWord(args: readonly string[]): string | undefined {
  let skip = false;
  for (const word of args) {
    if (word === '--') return undefined;
    if (skip) skip = false;
    else if (word.startsWith('-')) {
      const def = optionDef(word.slice(2));
      skip = !word.includes('=') && def?.global === true && def.kind !== 'boolean';
    } else return word;
  }
  return undefined;
}

function list(words: readonly string[], last = 'and'): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)!}`;
}
