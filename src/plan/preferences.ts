import { join } from 'node:path';
import type { Entry } from '../codec/entry.js';
import { errnoOf, usageError } from '../errors.js';
import { Tree } from '../fs/tree.js';
import { findPlatform, type Platform } from '../table/platforms.js';
import { otherServers } from './served.js';

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
    if (!m || !platform || choices.some((c) => !/^[\w.+-]+$/.test(c)))
      throw usageError(
        `${where}:${i + 1}: ${JSON.stringify(raw.trim())} is not "PLATFORM: CHOICE, CHOICE..."${m && !platform ? ` (${m[1]} is no platform)` : ''}`,
        `write, say, "x86_64: rosetta, ${OURS}" (entry names of other emulators, and ${OURS} for qemu-binfmt's own)`,
      );
    preferences.set(platform.name, choices);
  });
  return preferences;
}

/** What the preference of a platform asks for, given the table: the other tool's entry that is to serve it, ours, or neither. */
export type Choice = { ours: true } | { ours: false; entry: Entry | undefined };

/** The first of the platform's choices that can serve it now; undefined without a preference for it. */
export function chosen(preferences: Preferences | undefined, platform: Platform, entries: readonly Entry[]): Choice | undefined {
  const wanted = preferences?.get(platform.name);
  if (!wanted) return undefined;
  const others = otherServers(platform, entries);
  for (const choice of wanted) {
    if (choice === OURS) return { ours: true };
    const entry = others.find((e) => e.name === choice);
    if (entry) return { ours: false, entry };
  }
  return { ours: false, entry: undefined };
}
