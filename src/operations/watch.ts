import { conditionText } from '../conditions.js';
import { readNamed } from '../fs/tree.js';
import { asQemuBinfmtError, usageError, type QemuBinfmtError } from '../errors.js';
import { onThisKernel, planEnable, type Plan } from '../plan/plan.js';
import { enablePlanned, type EnableOptions } from './enable.js';
import type { Preferences } from '../plan/preferences.js';
import { tableOf } from '../kernel/access.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import type { Report, TargetResult } from './report.js';

export interface WatchOptions extends EnableOptions {
  /** Seconds between checks (default 10). */
  intervalSeconds?: number;
  /** A file of platform names (separated by white space; # starts a comment), read again on reload. */
  platformsFile?: string;
  /** Reads the preferences again (SIGHUP): a mounted ConfigMap changes under a running watch. */
  readPreferences?: () => Preferences;
}

/**
 * What kind of thing watch found: a condition of the table (said when it appears), an entry it
 * repaired, a failure (said once until it changes), a re-read platforms file, a signal.
 */
export type WatchEventKind = 'condition' | 'repair' | 'failure' | 'reload' | 'signal';

/** One thing watch found and what it did about it (one JSON line with --json). */
export interface WatchEvent {
  event: WatchEventKind;
  time: string;
  entry?: string;
  /** What was found, as data: a condition's code (NOT_REGISTERED, ENTRY_DISABLED, DIFFERS_FROM_OURS for a repair), or a failure's error code. */
  code?: string;
  found: string;
  did: string;
}

export interface Watcher {
  /** Ends the watch after the current check; the entries stay. */
  stop(): void;
  /** Reads the platforms file again before the next check. */
  reload(): void;
  /** Settles when the watch has ended. */
  done: Promise<void>;
}

const DEFAULT_INTERVAL_SECONDS = 10;

/** Seconds between checks, refused unless positive (`given` is how the user wrote it). */
function checkedInterval(seconds: number, given = String(seconds)): number {
  if (!(seconds > 0)) throw usageError(`--interval ${given} is not a positive number of seconds`, 'give --interval 10, or 0.5');
  return seconds;
}

/** --interval as written on the command line: a plain decimal number of seconds. */
export function parseInterval(text: string): number {
  return checkedInterval(/^\d*\.?\d+$/.test(text.trim()) ? Number(text) : NaN, text);
}

/** The platform names in a file: white space separated, # to the end of a line is a comment. */
function readPlatformsFile(path: string): string[] {
  let text: string;
  try {
    text = readNamed(path, 64 * 1024).toString('utf8');
  } catch (err) {
    const e = asQemuBinfmtError(err);
    throw usageError(`--platforms-file ${path} cannot be read (${e.errno ?? e.message})`, 'name a readable file of platform names');
  }
  const names = text.replace(/#.*$/gm, '').split(/\s+/).filter(Boolean);
  if (!names.length) throw usageError(`--platforms-file ${path} names no platform`, 'list platform names in it, or all');
  return names;
}

/** What a check's result says was found, and what was done, read from the result's data; undefined when all was well. */
function eventOf(r: TargetResult): Omit<WatchEvent, 'time'> | undefined {
  // Nothing to repair: ours is there, or the distribution's serves the platform.
  if (r.outcome === 'unchanged' || r.outcome === 'kept') return undefined;
  const repair = { event: 'repair', entry: r.entry } as const;
  // Another tool's emulator serves the platform: said once, and left to it; ours stepped aside for the one preferred.
  if (r.outcome === 'yielded') {
    const removed = r.was === 'removed';
    return {
      event: removed ? 'repair' : 'condition',
      entry: r.entry,
      code: 'SERVED_BY_OTHER',
      found: r.detail ?? 'served by another tool',
      did: removed ? 'removed ours' : 'left it to that tool',
    };
  }
  if (r.outcome === 'enabled' && r.was === 'disabled') return { ...repair, code: 'ENTRY_DISABLED', found: 'disabled', did: 'enabled it' };
  if (r.outcome === 'enabled') return { ...repair, code: 'NOT_REGISTERED', found: 'missing', did: `registered it (${r.interpreter})` };
  if (r.outcome === 'replaced')
    return { ...repair, code: 'DIFFERS_FROM_OURS', found: `different: ${(r.differences ?? []).join('; ')}`, did: 'replaced it (--force)' };
  return {
    event: 'failure',
    entry: r.entry,
    code: r.error?.code ?? 'failed',
    found: r.detail ?? 'a failure',
    did: r.error?.code === 'EXISTS_DIFFERENT' ? 'kept it (--force replaces it)' : 'nothing (tried again at the next check)',
  };
}

type News = Omit<WatchEvent, 'time'>;

/** What SIGHUP reads again: the platforms file, the preferences, both, or nothing (''). */
const reloadedWhat = (options: WatchOptions) =>
  [options.platformsFile, options.readPreferences && 'the preferences'].filter(Boolean).join(' and ');

/** A failure as an event: its code, what it was (in full unless said otherwise), what watch did. */
const failureOf = (error: QemuBinfmtError, did: string, found = error.describe()): News => ({
  event: 'failure',
  code: error.code,
  found,
  did,
});

/**
 * The decisions of a watch, apart from its loop: what a check's report (or its failure) says, as
 * events. A condition is said when it appears; a failure once until it changes; every repair.
 * Only codes and outcomes are read, never words.
 */
function newsOf(): { fromReport(report: Report): News[]; fromError(err: unknown): News[] } {
  const last = new Map<string, string>();
  let said = new Set<string>();
  const once = (key: string, event: News): News[] => {
    const seen = `${event.code}|${event.did}`;
    if (last.get(key) === seen) return [];
    last.set(key, seen);
    return [event];
  };
  return {
    fromReport(report) {
      last.delete('*');
      const events: News[] = report.conditions
        .filter((c) => !said.has(c.code))
        .map((c) => ({ event: 'condition', code: c.code, found: conditionText(c), did: 'noted' }));
      said = new Set(report.conditions.map((c) => c.code));
      for (const r of report.results) {
        const event = eventOf(r);
        if (!event) last.delete(r.entry);
        else if (r.outcome === 'failed' || r.outcome === 'yielded') events.push(...once(r.entry, event));
        else {
          last.delete(r.entry);
          events.push(event);
        }
      }
      return events;
    },
    fromError(err) {
      const error = asQemuBinfmtError(err);
      return once('*', failureOf(error, error.hint ? `nothing: ${error.hint}` : 'nothing (tried again at the next check)', error.message));
    },
  };
}

/** One check on the watch's table, then the table let go of (nothing held open in it between checks, so it can be unmounted). */
async function checkOnce(plan: Plan, options: WatchOptions & { table: BinfmtTable }, news: ReturnType<typeof newsOf>): Promise<News[]> {
  try {
    return news.fromReport(await enablePlanned(plan, options));
  } catch (err) {
    return news.fromError(err);
  } finally {
    options.table.release();
  }
}

/** The plan of a watch, made again on SIGHUP: the platforms named, or those of --platforms-file (not both). */
function plannerOf(names: readonly string[], options: WatchOptions): () => Plan {
  if (options.platformsFile && names.length)
    throw usageError('platforms are named both on the command line and in --platforms-file', 'give one of them');
  return () => planEnable(options.platformsFile ? readPlatformsFile(options.platformsFile) : names, onThisKernel(options));
}

/**
 * Registers like enable, then checks every interval that each entry is present, enabled and
 * identical, and registers again what is missing or changed (a differing same-named entry is
 * replaced only with force). Other entries are never touched, nothing is removed or unmounted
 * when it ends. Each event is handed to log once (a failure that persists is not repeated).
 */
export function watch(names: readonly string[], options: WatchOptions, log: (event: WatchEvent) => void): Watcher {
  const interval = checkedInterval(options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000;
  const planFor = plannerOf(names, options);
  // What SIGHUP reads again, taken together: a failure keeps the platforms and the preferences it had.
  let now = { plan: planFor(), preferences: options.preferences };
  const say = (event: Omit<WatchEvent, 'time'>) => log({ time: new Date().toISOString(), ...event });
  const news = newsOf();
  let stopped = false;
  let reloading = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  // One table for the whole watch: bound to the instance it finds first, never written through another.
  const table = tableOf(options);
  // Entries of ours registered again after those they shadow: once, not at every check.
  const shadowing = new Map<string, string>();
  const check = async () => {
    const { plan, preferences } = now;
    for (const event of await checkOnce(plan, { ...options, ...(preferences ? { preferences } : {}), table, shadowing }, news)) say(event);
  };
  const reread = () => {
    try {
      now = { preferences: options.readPreferences?.() ?? now.preferences, plan: planFor() };
      const watching = now.plan.targets.map((t) => t.platform.name).join(' ') || 'nothing';
      say({ event: 'reload', found: `reloaded ${reloadedWhat(options)}`, did: `watching ${watching}` });
    } catch (err) {
      say(
        failureOf(
          asQemuBinfmtError(err),
          options.readPreferences ? 'kept the platforms and preferences it had' : 'kept the platforms it had',
        ),
      );
    }
  };
  const done = (async () => {
    for (await check(); !stopped; await check()) {
      if (!reloading) await new Promise<void>((resolve) => ((wake = resolve), (timer = setTimeout(resolve, interval))));
      if (stopped) break;
      if (reloading) {
        reloading = false;
        reread();
      }
    }
  })();
  const interrupt = () => {
    clearTimeout(timer);
    wake?.();
  };
  return {
    stop() {
      stopped = true;
      interrupt();
    },
    reload() {
      if (!reloadedWhat(options)) return say({ event: 'signal', found: 'SIGHUP', did: 'nothing to re-read (no --platforms-file)' });
      reloading = true;
      interrupt();
    },
    done,
  };
}
