import type { CommandUsage, Positional } from './command-usage.js';
import { GLOBAL_OPTIONS, OPTIONS, optionDef, type OptionDef } from '../options/definitions.js';
import { aliasesOf, PRIMARY_PLATFORMS } from '../table/platforms.js';

/** What the shell completes besides the words given: file names, directory names, command names, or nothing. */
type Directive = 'files' | 'dirs' | 'commands' | 'none';

interface Completion {
  /** Candidate words, each with a short description where there is one. */
  words: Array<readonly [string, string]>;
  directive: Directive;
}

/** The options every command takes besides its own. */
const EVERYWHERE = [
  ['help', 'show help'],
  ['version', 'show the version'],
] as const;

/**
 * The completion of the last word, given the words of the command line after the program's
 * name. Bash splits `--via=unit` into `--via`, `=`, `unit`; the three are read as one.
 */
export function complete(commands: readonly CommandUsage[], words: readonly string[]): Completion {
  // Bash's word after `--via=`: the value alone, with bash's `=` word (or nothing yet) before it.
  const split = words.at(-1) === '=' ? 1 : words.at(-2) === '=' ? 2 : 0;
  const current = split === 1 ? '' : (words.at(-1) ?? '');
  const before = joinEquals(words.slice(0, split ? -1 - split : -1));
  if (split) return valuesOf(takesValue(words.at(-1 - split) ?? ''), current, (v) => v);
  const end = before.indexOf('--');
  if (end >= 0) return { words: [], directive: end === before.length - 1 ? 'commands' : 'files' };

  let command: CommandUsage | undefined;
  let taking: OptionDef | undefined;
  let positionals = 0;
  for (const word of before) {
    if (taking) taking = undefined;
    else if (word.startsWith('-')) taking = word.includes('=') ? undefined : takesValue(word);
    else if (!command) command = commands.find((c) => c.commandName === word);
    else positionals++;
  }
  const eq = current.indexOf('=');
  if (current.startsWith('--') && eq > 0) {
    const prefix = current.slice(0, eq + 1);
    return valuesOf(takesValue(current.slice(0, eq)), current.slice(eq + 1), (v) => `${prefix}${v}`);
  }
  if (taking) return valuesOf(taking, current, (v) => v);
  if (current.startsWith('-')) return filtered(optionsOf(command), current);
  if (!command) {
    return filtered(
      commands.map((c) => [c.commandName, firstClause(c.spec.describe)] as const),
      current,
    );
  }
  const positional = command.spec.positionals[Math.min(positionals, command.spec.positionals.length - 1)];
  return positional ? positionalValues(positional, current) : nothing;
}

const nothing: Completion = { words: [], directive: 'none' };

function filtered(words: Array<readonly [string, string]>, current: string): Completion {
  return { words: words.filter(([w]) => w.startsWith(current)), directive: 'none' };
}

function joinEquals(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '=' && out.length && out.at(-1)!.startsWith('--')) out.push(`${out.pop()!}=${words[++i] ?? ''}`);
    else out.push(words[i]!);
  }
  return out;
}

/** The option a word names, if it takes the next word as its value. */
function takesValue(word: string): OptionDef | undefined {
  const def = optionDef(word.replace(/^--/, ''));
  return def && def.kind !== 'boolean' && !def.valueOptional ? def : undefined;
}

function valuesOf(def: OptionDef | undefined, current: string, word: (value: string) => string): Completion {
  if (!def) return nothing;
  if (def.choices) return { words: def.choices.filter((c) => c.startsWith(current)).map((c) => [word(c), ''] as const), directive: 'none' };
  if (def.path === 'dir' || def.path === 'new-dir') return { words: [], directive: 'dirs' };
  if (def.path) return { words: [], directive: 'files' };
  return nothing;
}

function optionsOf(command: CommandUsage | undefined): Array<readonly [string, string]> {
  const own = (command?.spec.options ?? []).map(([name, describe]) => [name, OPTIONS[name] as OptionDef, describe] as const);
  const local = own.filter(([, def]) => !def.global);
  return [
    ...local.map(([name, def, describe]) => [`--${name}`, firstClause(describe ?? def.describe)] as const),
    ...local.flatMap(([name, def]) => (def.default === true ? [[`--no-${name}`, ''] as const] : [])),
    ...GLOBAL_OPTIONS.map(([name, def]) => [`--${name}`, firstClause(def.describe)] as const),
    ...EVERYWHERE.map(([name, describe]) => [`--${name}`, describe] as const),
  ];
}

function positionalValues(positional: Positional, current: string): Completion {
  if (positional.choices)
    return filtered(
      positional.choices.map((c) => [c, ''] as const),
      current,
    );
  if (positional.name === 'files') return { words: [], directive: 'files' };
  if (positional.name !== 'platforms') return nothing;
  const names = [
    ['all', 'every platform'] as const,
    ...PRIMARY_PLATFORMS.flatMap((p) => [
      [p.name, `${p.class}-bit ${p.endianness}-endian, ${p.binary}`] as const,
      ...aliasesOf(p).map((a) => [a, `alias of ${p.name}`] as const),
    ]),
  ];
  const seen = new Set<string>();
  return filtered(
    names.filter(([n]) => !seen.has(n) && seen.add(n)),
    current,
  );
}

/** A description up to its first bracket, colon or semicolon: what fits beside a candidate. */
function firstClause(describe: string): string {
  return describe.split(/ \[|: |; | \(/)[0]!.trim();
}
