import { differences } from '../codec/compare.js';
import type { Entry } from '../codec/entry.js';
import { buildRegisterLine, registrationProblem, type Registration } from '../codec/register-line.js';
import { QemuBinfmtError } from '../errors.js';
import { CONDITIONS, type Condition } from '../conditions.js';
import type { BinfmtTable } from './binfmt-table.js';
import { cannotPutBack, readBackDiffers, readBackMissing, registeredMeanwhile, registerFailed, stillThere } from './errors.js';

/**
 * What the kernel's answers mean: every change to an entry is written once and read back, and
 * its errors are translated into what to do. Other processes may change the table at the same
 * time (another enable or disable, systemd-binfmt): what they did is told apart from a failure.
 */

export interface Written {
  outcome: 'enabled' | 'unchanged';
  /** What another process did meanwhile, when it did something. */
  warning?: Condition;
}

/** Tries a register line this many times while other processes register and remove the same name. */
const ATTEMPTS = 3;

/** Whether the kernel takes flag D (Linux >= 7.3: register disabled, enable later), learnt per table. */
const staged = new WeakMap<BinfmtTable, boolean>();

/**
 * Registers a line; EEXIST from a process that registered the same name meanwhile is compared
 * again. On the kernel's own table the line is first written with D (Linux >= 7.3): the entry is
 * registered disabled, read back and checked, and only then enabled, so one that fails its check
 * never claims a file, and is removed. A kernel without D refuses that line (EINVAL, nothing
 * written); the line is then written as it is, and the table remembered as one without D.
 */
export function registerEntry(table: BinfmtTable, reg: Registration, line: string): Written {
  for (let attempt = 1; ; attempt++) {
    const stage = table.isKernel() && staged.get(table) !== false;
    try {
      table.register(stage ? line.replace(/\n?$/, 'D\n') : line);
      if (stage) staged.set(table, true);
    } catch (err) {
      if (!(err instanceof QemuBinfmtError)) throw err;
      if (stage && err.errno === 'EINVAL' && staged.get(table) === undefined) {
        staged.set(table, false);
        continue;
      }
      if (err.errno !== 'EEXIST')
        throw registerFailed(err, table.dir, reg, line, () => table.list().filter((e) => e.flags.fixBinary).length);
      const now = table.read(reg.name);
      // Removed again before it could be read: register once more.
      if (!now && attempt < ATTEMPTS) continue;
      if (now && differences(now, reg).length === 0) {
        // Identical: another process's, enabled or still staged.
        if (now.enabled) return { outcome: 'unchanged' };
        table.control(reg.name, '1');
        return readBack(table, reg);
      }
      throw registeredMeanwhile(table.dir, reg.name, err);
    }
    const again = writeAgain(table, stage ? line.replace(/\n?$/, 'D\n') : line);
    return stage ? enableStaged(table, reg, again) : readBack(table, reg, again);
  }
}

/** A staged (D) entry: disabled and otherwise as registered, then enabled; removed when it is not. Missing, it is written once more. */
function enableStaged(table: BinfmtTable, reg: Registration, again: () => void): Written {
  let entry = table.read(reg.name);
  if (!entry && table.isKernel()) {
    again();
    entry = table.read(reg.name);
  }
  const diffs = entry ? differences(entry, reg) : [];
  // Identical and already enabled: another process enabled the same entry meanwhile.
  if (entry && diffs.length === 0 && entry.enabled) return { outcome: 'enabled' };
  if (!entry || diffs.length) {
    if (entry && !entry.enabled) removeEntry(table, reg.name, (e) => !e.enabled && differences(e, reg).length === diffs.length);
    if (!entry) throw readBackMissing(table.dir, reg.name, table.isKernel());
    throw readBackDiffers(table.dir, reg.name, diffs.join('; '));
  }
  table.control(reg.name, '1');
  // It read back right before: gone now is another process's doing.
  return readBack(table, reg);
}

/** The line written once more, when an entry is not there right after its write (EEXIST: it is there now). */
function writeAgain(table: BinfmtTable, line: string): () => void {
  return () => {
    try {
      table.register(line);
    } catch (err) {
      if (!(err instanceof QemuBinfmtError && err.errno === 'EEXIST')) throw err;
    }
  };
}

/** Enables an identical entry that is disabled; one removed meanwhile is registered again. */
export function enableEntry(table: BinfmtTable, reg: Registration, line: string): Written {
  try {
    table.control(reg.name, '1');
  } catch (err) {
    if (err instanceof QemuBinfmtError && err.errno === 'ENOENT') return registerEntry(table, reg, line);
    throw err;
  }
  return readBack(table, reg, writeAgain(table, line));
}

/** The line that registers an entry again as it is; undefined for one this tool cannot write (an extension entry, say). */
function restoreLine(old: Entry): { line: string; registration: Registration } | undefined {
  if (!old.rule) return undefined;
  const registration = { name: old.name, rule: old.rule, interpreter: old.interpreter, flags: old.flags };
  return registrationProblem(registration) ? undefined : { line: buildRegisterLine(registration), registration };
}

/**
 * Removes the old entry and registers ours; if ours fails (or `check` fails after it), the old
 * entry is put back. An entry that could not be put back is not replaced at all.
 */
export function replaceEntry(
  table: BinfmtTable,
  reg: Registration,
  line: string,
  old: Entry,
  check: () => void = () => undefined,
): Written {
  const restore = restoreLine(old);
  if (!restore) throw cannotPutBack(table.dir, old.name);
  removeEntry(table, old.name, () => true);
  try {
    const written = registerEntry(table, reg, line);
    // A check of what was written that fails puts the previous entry back too.
    check();
    return written;
  } catch (err) {
    if (!(err instanceof QemuBinfmtError)) throw err;
    throw err.withContext(`${err.message} (${putBack(table, restore, old.enabled)})`);
  }
}

/** Registers an entry again as it was (disabled if it was); says whether that worked. */
export function restoreEntry(table: BinfmtTable, old: Entry): string {
  const restore = restoreLine(old);
  return restore ? putBack(table, restore, old.enabled) : `the previous entry ${old.name} could not be put back`;
}

function putBack(table: BinfmtTable, restore: { line: string; registration: Registration }, enabled: boolean): string {
  const name = restore.registration.name;
  const lost = (why: string) => `the previous entry was LOST (${why}); its line was ${restore.line.trimEnd()}`;
  try {
    removeEntry(table, name, () => true);
    table.register(restore.line);
    if (!enabled) table.control(name, '0');
    const back = table.read(name);
    if (back && back.enabled === enabled && differences(back, restore.registration).length === 0) return 'the previous entry was put back';
    return lost(back ? 'it reads back differently' : 'it is not there after registering it again');
  } catch (err) {
    return lost(err instanceof Error ? err.message : String(err));
  }
}

export interface Removed {
  /** The entry as it was read, undefined when there was none. */
  entry: Entry | undefined;
  removed: boolean;
  warning?: Condition;
}

/**
 * Removes an entry when `when` says so, reading and writing it through one open. Gone is gone:
 * an entry another process removed first counts as removed.
 */
export function removeEntry(table: BinfmtTable, name: string, when: (entry: Entry) => boolean): Removed {
  let removed = false;
  let entry: Entry | undefined;
  try {
    entry = table.controlIf(name, '-1', (e) => (removed = when(e)));
  } catch (err) {
    if (removed && table.read(name) === undefined) return { entry, removed };
    throw err;
  }
  if (removed && table.read(name)) {
    if (!table.isKernel()) throw stillThere(table.dir, name);
    return { entry, removed, warning: CONDITIONS.REGISTERED_BY_OTHER(name) };
  }
  return { entry, removed };
}

/**
 * Reads an entry back after writing it: it must be enabled and read as registered. One that is
 * not there is written once more (`again`), and missing twice is a failure with what was seen:
 * the write did not take effect (something other than binfmt_misc's register took it). Without
 * `again` a successful read-back came right before, so a missing entry was removed by another
 * process: a warning.
 */
export function readBack(table: BinfmtTable, reg: Registration, again?: () => void): Written {
  let entry = table.read(reg.name);
  if (!entry && again && table.isKernel()) {
    again();
    entry = table.read(reg.name);
  }
  if (!entry) {
    if (again || !table.isKernel()) throw readBackMissing(table.dir, reg.name, again !== undefined && table.isKernel());
    return { outcome: 'enabled', warning: CONDITIONS.REMOVED_BY_OTHER(reg.name) };
  }
  const diffs = differences(entry, reg);
  if (diffs.length > 0 || !entry.enabled) throw readBackDiffers(table.dir, reg.name, entry.enabled ? diffs.join('; ') : 'disabled');
  return { outcome: 'enabled' };
}
