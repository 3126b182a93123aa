import { differences } from '../codec/compare.js';
import type { Entry } from '../codec/entry.js';
import { buildRegisterLine, registrationProblem, type Registration } from '../codec/register-line.js';
import { QemuBinfmtError } from '../errors.js';
import type { BinfmtTable } from './binfmt-table.js';
import { cannotPutBack, readBackDiffers, readBackMissing, registeredMeanwhile, registerFailed, stillThere } from './errors.js';

/**
 * What the kernel's answers mean: every change to an entry is written once and read back, and
 * its errors are translated into what to do.
 */

/** Registers a line; EEXIST from a process that registered the same name meanwhile is compared again. */
export function registerEntry(table: BinfmtTable, reg: Registration, line: string): 'enabled' | 'unchanged' {
  try {
    table.register(line);
  } catch (err) {
    if (!(err instanceof QemuBinfmtError)) throw err;
    if (err.errno === 'EEXIST') {
      const now = table.read(reg.name);
      if (now && now.enabled && differences(now, reg).length === 0) return 'unchanged';
      throw registeredMeanwhile(table.dir, reg.name);
    }
    throw registerFailed(err, table.dir, reg, line);
  }
  readBack(table, reg);
  return 'enabled';
}

/** Enables an identical entry that is disabled. */
export function enableEntry(table: BinfmtTable, reg: Registration): void {
  table.control(reg.name, '1');
  readBack(table, reg);
}

/** The line that registers an entry again as it is; undefined for one this tool cannot write (an extension entry, say). */
function restoreLine(old: Entry): { line: string; registration: Registration } | undefined {
  if (!old.rule) return undefined;
  const registration = { name: old.name, rule: old.rule, interpreter: old.interpreter, flags: old.flags };
  return registrationProblem(registration) ? undefined : { line: buildRegisterLine(registration), registration };
}

/**
 * Removes the old entry and registers ours; if ours fails, the old entry is put back. An entry
 * that could not be put back is not replaced at all.
 */
export function replaceEntry(table: BinfmtTable, reg: Registration, line: string, old: Entry): void {
  const restore = restoreLine(old);
  if (!restore) throw cannotPutBack(table.dir, old.name);
  table.control(old.name, '-1');
  try {
    registerEntry(table, reg, line);
  } catch (err) {
    if (!(err instanceof QemuBinfmtError)) throw err;
    throw err.withContext(`${err.message} (${putBack(table, restore, old.enabled)})`);
  }
}

function putBack(table: BinfmtTable, restore: { line: string; registration: Registration }, enabled: boolean): string {
  const name = restore.registration.name;
  const lost = `the previous entry was LOST; its line was ${restore.line.trimEnd()}`;
  try {
    if (table.read(name)) table.control(name, '-1');
    table.register(restore.line);
    if (!enabled) table.control(name, '0');
    const back = table.read(name);
    return back && back.enabled === enabled && differences(back, restore.registration).length === 0
      ? 'the previous entry was put back'
      : lost;
  } catch {
    return lost;
  }
}

/**
 * Removes an entry when `when` says so, reading and writing it through one open; gone is gone.
 * Returns the entry as it was, and whether it was removed.
 */
export function removeEntry(
  table: BinfmtTable,
  name: string,
  when: (entry: Entry) => boolean,
): { entry: Entry | undefined; removed: boolean } {
  let removed = false;
  const entry = table.controlIf(name, '-1', (e) => (removed = when(e)));
  if (removed && table.read(name)) throw stillThere(table.dir, name);
  return { entry, removed };
}

/** Reads an entry back after writing it: it must exist, be enabled and read as registered. */
export function readBack(table: BinfmtTable, reg: Registration): void {
  const entry = table.read(reg.name);
  if (!entry) throw readBackMissing(table.dir, reg.name);
  const diffs = differences(entry, reg);
  if (diffs.length > 0 || !entry.enabled) throw readBackDiffers(table.dir, reg.name, entry.enabled ? diffs.join('; ') : 'disabled');
}
