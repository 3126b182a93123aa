import { join } from 'node:path';
import type { Entry } from '../codec/entry.js';
import { CONDITIONS, type Condition } from '../conditions.js';
import { errnoOf, usageError } from '../errors.js';
import { Tree } from '../fs/tree.js';
import { findPlatform, type Platform } from '../table/platforms.js';

/** Where the preferences are read from, under / or an image tree's root, unless --preferences names a file. */
const PREFERENCES_FILE = 'etc/qemu-binfmt/preferences';
/** The choice that means qemu-binfmt's own registration. */
const OURS = 'qemu';

/** Per platform (its table name), the emulators in the order wanted: other tools' entry names, and qemu. */
export type Preferences = ReadonlyMap<string, readonly string[]>;

/**
 * Reads the preferences: one line per platform, `PLATFORM: CHOICE, CHOICE...` (a name or alias;
 * an entry name of another tool, or qemu for qemu-binfmt's own), # comments. The file named by
 * --preferences must be there and right (bad input otherwise); the default one may be missing.
 */
export function readPreferences(file: string | undefined, root = '/'): Preferences {
  const named = file !== undefined;
  let text: string | undefined;
  const tree = named ? Tree.host() : Tree.of(root);
  try {
    text = tree.readFile(named ? file : PREFERENCES_FILE, 64 * 1024)?.toString('utf8');
  } catch (err) {
    throw usageError(
      `${named ? file : join(root, PREFERENCES_FILE)} cannot be read (${errnoOf(err) ?? String(err)})`,
      'name a readable file',
    );
  } finally {
    tree.close();
  }
  if (text === undefined) {
    if (named) throw usageError(`--preferences ${file} does not exist`, 'name an existing file');
    return new Map();
  }
  const where = named ? file : join(root, PREFERENCES_FILE);
  const preferences = new Map<string, string[]>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const m = /^([^:\s]+)\s*:\s*(\S.*)$/.exec(line);
    const platform = m ? findPlatform(m[1]!) : undefined;
    const choices = m ? m[2]!.split(',').map((c) => c.trim()) : [];
    // An entry name, which the kernel's own files (register, status) are not.
    if (!m || !platform || choices.some((c) => !/^[\w.+-]+$/.test(c) || c === 'register' || c === 'status'))
      throw usageError(
        `${where}:${i + 1}: ${JSON.stringify(raw.trim())} is not "PLATFORM: CHOICE, CHOICE..."${m && !platform ? ` (${m[1]} is no platform)` : ''}`,
        `write, say, "x86_64: rosetta, ${OURS}" (entry names of other emulators, and ${OURS} for qemu-binfmt's own)`,
      );
    preferences.set(platform.name, choices);
  });
  return preferences;
}

/** A platform left to another emulator: its entry (none when the preferences name none registered, nor qemu), and whether the preferences chose it. */
export interface LeftTo {
  entry: Entry | undefined;
  preferred: boolean;
}

/**
 * Whom the platform is left to, given the other tools' entries that serve it (otherServers): the
 * first of the preferences' choices registered, where they name the platform; else the first of
 * those entries, unless asked to take over. Undefined: ours is to serve it.
 */
export function leftTo(
  platform: Pick<Platform, 'name'>,
  others: readonly Entry[],
  preferences: Preferences | undefined,
  takeOver = false,
): LeftTo | undefined {
  const wanted = preferences?.get(platform.name);
  if (!wanted) return others[0] && !takeOver ? { entry: others[0], preferred: false } : undefined;
  for (const choice of wanted) {
    if (choice === OURS) return undefined;
    const entry = others.find((e) => e.name === choice);
    if (entry) return { entry, preferred: true };
  }
  return { entry: undefined, preferred: true };
}

/** What is said of a platform left to another emulator (or to none). */
export function leftCondition(platform: string, { entry }: LeftTo): Condition {
  return entry ? CONDITIONS.SERVED_BY_OTHER(entry.name, entry.interpreter, platform) : CONDITIONS.NO_PREFERRED(platform);
}

/** How boot files treat a platform, from the other tools' entries that serve it now and the preferences. */
export interface BootChoice {
  /** Left to another emulator now (leftTo): files decided when written leave the platform out. */
  left?: LeftTo;
  /** The emulators the preferences put before qemu: a file that decides at boot registers ours only while none of them is enabled. */
  yieldTo: readonly string[];
  /** Ours must win over another tool's entry (asked to take over, one serving now, or one the preferences put after qemu): it loads last. */
  last: boolean;
}

export function bootChoice(
  platform: Pick<Platform, 'name'>,
  others: readonly Entry[],
  preferences: Preferences | undefined,
  takeOver = false,
): BootChoice {
  const left = leftTo(platform, others, preferences, takeOver);
  const wanted = preferences?.get(platform.name) ?? [];
  const ours = wanted.indexOf(OURS);
  return {
    ...(left ? { left } : {}),
    yieldTo: ours > 0 ? wanted.slice(0, ours) : [],
    last: !left && (takeOver || others.length > 0 || (ours >= 0 && ours < wanted.length - 1)),
  };
}
