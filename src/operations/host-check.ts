import { CONDITIONS, type Condition } from '../conditions.js';
import { existsSync } from 'node:fs';
import { differences } from '../codec/compare.js';
import type { Entry } from '../codec/entry.js';
import { QemuBinfmtError } from '../errors.js';
import { runsCleanly } from '../exec.js';
import type { BinfmtTable } from '../kernel/binfmt-table.js';
import { registerEntry, removeEntry, restoreEntry } from '../kernel/register.js';
import type { PlannedTarget } from '../plan/plan.js';

/**
 * The host program run once after the writes: if it no longer runs, an entry just written
 * captured it. Where there is no /bin/sh (the container image is built FROM scratch), this
 * node itself, which is a host program too.
 */
const HOST_PROBE: readonly string[] = existsSync('/bin/sh') ? ['/bin/sh', '-c', 'true'] : [process.execPath, '--version'];

/** An entry this run wrote, and the one it replaced. */
export interface WrittenEntry {
  target: PlannedTarget;
  old?: Entry;
}

export type HostProbe = () => string | undefined;
const runHostProbe: HostProbe = () => runsCleanly(HOST_PROBE[0]!, HOST_PROBE.slice(1));

/**
 * Runs one host program after the writes. If it fails, finds which written entries are to blame:
 * all are removed (what they replaced put back); if the host runs again, each is registered anew
 * in turn, and one after which it fails is removed again for good, its previous entry restored.
 * Returns the errors of the culprits, by entry name, and a condition when the cause is not ours.
 */
export function checkHost(
  table: BinfmtTable,
  written: readonly WrittenEntry[],
  probe: HostProbe = runHostProbe,
): { culprits: Map<string, QemuBinfmtError>; condition?: Condition } {
  const culprits = new Map<string, QemuBinfmtError>();
  const failure = written.length ? probe() : undefined;
  if (!failure) return { culprits };
  const what = `${HOST_PROBE.join(' ')} failed (${failure})`;
  const ours = (w: WrittenEntry) => (e: Entry) => differences(e, w.target.registration).length === 0;
  const undo = (w: WrittenEntry) => {
    removeEntry(table, w.target.registration.name, ours(w));
    return w.old ? restoreEntry(table, w.old) : undefined;
  };
  for (const w of written) undo(w);
  if (probe()) {
    // Not ours: put what was written back, and say so.
    for (const w of written) redo(table, w);
    return { culprits, condition: CONDITIONS.HOST_BROKEN_BEFORE(what) };
  }
  for (const w of written) {
    redo(table, w);
    const again = probe();
    if (!again) continue;
    const putBack = undo(w);
    const name = w.target.registration.name;
    culprits.set(
      name,
      new QemuBinfmtError(
        'HOST_BROKEN',
        `registering ${name} made this host's own programs fail: ${HOST_PROBE.join(' ')} failed (${again}); it was removed again${putBack ? ` (${putBack})` : ''}`,
        {
          hint: "its rule claims this host's own executables, or its interpreter is a host program: check the entry's magic, mask and interpreter",
        },
      ),
    );
  }
  return { culprits };
}

function redo(table: BinfmtTable, w: WrittenEntry): void {
  if (w.old) removeEntry(table, w.old.name, () => true);
  registerEntry(table, w.target.registration, w.target.line);
}
