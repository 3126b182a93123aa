import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { errnoOf, usageError } from '../errors.js';
import { kindOf } from '../fs/files.js';
import { OPTIONS, placeholder, type OptionDef, type OptionName, type OptionValues } from './definitions.js';

/** What yargs parsed, and the words it parsed them from (to tell `--x=` from `--x`, and `--x=maybe`). */
export interface ParsedArgs {
  argv: Readonly<Record<string, unknown>>;
  words: readonly string[];
  /** The working directory was deleted: a relative path means nothing. */
  cwdGone?: boolean;
}

/** yargs gives strings for string options; anything else is shown as JSON. */
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * The options as the words name them, up to `--` (`--dry-run`, `--dryRun`, `--no-dry-run`), each
 * with the value written after `=`, if any, and the word after it.
 */
export function optionWords(
  words: readonly string[],
): Array<{ name: string; negated: boolean; value: string | undefined; next: string | undefined }> {
  const end = words.indexOf('--');
  return (end < 0 ? words : words.slice(0, end)).flatMap((word, i) => {
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!m) return [];
    const kebab = m[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const negated = kebab.startsWith('no-') && !(kebab in OPTIONS);
    return [{ name: negated ? kebab.slice(3) : kebab, negated, value: m[2], next: words[i + 1] }];
  });
}

/**
 * Maps parsed argv to library options by the definitions, after checking every value against
 * its option's kind: one value where one is taken, true or false for a switch, no empty string,
 * and paths that are what they must be. A violation is bad input (exit 2), before any command runs.
 */
export function readOptions<N extends OptionName>({ argv, words, cwdGone = false }: ParsedArgs, names: readonly N[]): OptionValues<N> {
  const given = optionWords(words);
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const def: OptionDef = OPTIONS[name];
    const value = argv[name];
    if (value === undefined) continue;
    if (def.kind === 'boolean') {
      const bad = given.find((g) => g.name === name && g.value !== undefined && g.value !== 'true' && g.value !== 'false');
      if (bad)
        throw usageError(
          `--${bad.negated ? 'no-' : ''}${name} is a switch, not ${JSON.stringify(bad.value)}`,
          `give --${name} or --no-${name}`,
        );
      const said = new Set(given.filter((g) => g.name === name).map((g) => !g.negated === (g.value !== 'false')));
      if (said.size > 1) throw usageError(`--${name} and --no-${name} were both given`, `give one of them`);
      if (typeof value !== 'boolean')
        throw usageError(`--${name} is a switch, not ${JSON.stringify(text(value))}`, `give --${name} or --no-${name}`);
      values[def.key] = value;
      continue;
    }
    if (def.kind === 'string' && Array.isArray(value)) {
      throw usageError(
        `--${name} was given more than once (${value.map((v) => JSON.stringify(text(v))).join(', ')})`,
        `give --${name} once`,
      );
    }
    const list = (Array.isArray(value) ? value : [value]).map((v) => {
      if (typeof v !== 'string' && typeof v !== 'number')
        throw usageError(`--${name} takes a value, not ${JSON.stringify(v)}`, `give --${name} ${placeholder(def)}`);
      return String(v);
    });
    const explicitlyEmpty = given.some((g) => g.name === name && (g.value === '' || (g.value === undefined && g.next === '')));
    for (const v of list) {
      if (v === '' && def.valueOptional && !explicitlyEmpty) continue;
      if (v.trim() === '')
        throw usageError(`--${name} needs a value (it was ${v ? 'blank' : 'empty'})`, `give --${name} ${placeholder(def)}`);
      if (def.path) checkPath(name, def.path, v, cwdGone);
    }
    values[def.key] = def.kind === 'strings' ? list : list[0];
  }
  return values as OptionValues<N>;
}

/** statfs f_type of the kernel's own filesystems (include/uapi/linux/magic.h): proc, sysfs, cgroup, debugfs and the like. */
const KERNEL_FILESYSTEMS: ReadonlySet<number> = new Set([
  0x9fa0, 0x62656572, 0x63677270, 0x27e0eb, 0x64626720, 0x73636673, 0x42494e4d, 0x74726163, 0x1cd1, 0x62656570, 0x6165676c, 0xcafe4a11,
  0xde5e81e4,
]);

function checkPath(name: string, must: NonNullable<OptionDef['path']>, value: string, cwdGone: boolean): void {
  const option = `--${name} ${value}`;
  if (!isAbsolute(value) && cwdGone) {
    throw usageError(
      `${option}: the working directory no longer exists, so a relative path means nothing`,
      'give an absolute path, or cd into a directory that exists',
    );
  }
  if (must === 'any') return;
  const path = resolve(value);
  const kind = kindOf(path);
  if (must === 'dir' && kind !== 'directory') {
    throw usageError(`${option} ${kind === undefined ? 'does not exist' : 'is not a directory'}`, `name an existing directory`);
  }
  if (must === 'file' && kind !== 'file')
    throw usageError(`${option} ${kind === undefined ? 'does not exist' : 'is not a file'}`, 'name an existing file');
  if (must === 'new-dir' && kind !== undefined && kind !== 'directory')
    throw usageError(`${option} exists and is not a directory`, 'name a directory, or one to create');
  if (must === 'new-file' && kind !== undefined && kind !== 'file')
    throw usageError(`${option} exists and is not a file`, 'name a file, or one to create');
  if (must === 'new-dir' || must === 'new-file') {
    // To be written: the nearest existing place must be a writable directory of a real filesystem.
    let up = kind === undefined ? dirname(path) : path;
    while (kindOf(up) === undefined && up !== dirname(up)) up = dirname(up);
    if (kind === undefined && kindOf(up) !== 'directory')
      throw usageError(`${option} cannot be made: ${up} is not a directory`, 'name a path under a directory');
    if (KERNEL_FILESYSTEMS.has(statfsSync(up).type)) {
      throw usageError(
        `${option} is on a kernel filesystem (${up}), where no file can be written`,
        'name a path on a disk, such as under /tmp or /etc',
      );
    }
    const dir = kindOf(up) === 'directory' ? up : dirname(up);
    try {
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw usageError(
        `${option} cannot be written: ${dir} is not writable${errnoOf(err) ? ` (${errnoOf(err)})` : ''}`,
        'name a writable place',
      );
    }
  }
}
