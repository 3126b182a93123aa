import { formatRegisterLine } from '../../src/codec/register-line.js';
import { QemuBinfmtError } from '../../src/errors.js';
import type { BinfmtTable, ControlAction } from '../../src/kernel/binfmt-table.js';
import { findPlatform } from '../../src/table/platforms.js';
import { PYTHON_LINE } from './memory.js';

/** A sequence of writes that exercises what the kernel accepts and refuses, for any BinfmtTable. */
const aarch64 = findPlatform('aarch64')!;
const QEMU = '/usr/bin/qemu-aarch64-static';
const F = { preserveArgv0: true, openBinary: false, credentials: false, fixBinary: true };

type Step = ['register', string] | ['control', string, ControlAction];
const STEPS: Step[] = [
  ['register', formatRegisterLine({ name: aarch64.entryName, rule: aarch64.rule, interpreter: QEMU, flags: F })],
  ['register', formatRegisterLine({ name: aarch64.entryName, rule: aarch64.rule, interpreter: QEMU, flags: F })],
  ['register', PYTHON_LINE],
  ['register', ':c:M::\\x01::/bin/x:CP\n'],
  ['register', ':masked:M:2:\\xff\\x01:\\x0f\\xff:/bin/x:\n'],
  ['register', ':jar:E::jar::/usr/bin/jexec:\n'],
  ['register', ':bad:M::\\x01::/bin/x:Z\n'],
  // Linux 7.3's flags: this kernel (6.18) refuses them, as the stand-in does unless told it is 7.3.
  ['register', ':staged:M::\\x01::/bin/x:PD\n'],
  ['register', ':bad:M::\\x01::/bin/x:T\n'],
  ['register', ':bad:M::\\x01::/bin/x:FL\n'],
  ['register', ':bad:M::\\x01\\x02:\\xff:/bin/x:\n'],
  ['register', ':far:M:254:\\x01\\x02::/bin/x:\n'],
  ['register', ':bad:M:255:\\x01\\x02::/bin/x:\n'],
  ['register', ':bad:M::\\x01::/nonexistent/qemu:F\n'],
  ['register', ':jar:M::\\x01::/nonexistent/qemu:F\n'],
  ['control', 'qemu-aarch64', '0'],
  ['control', 'python3.11', '-1'],
  ['control', 'python3.11', '-1'],
];

/** Runs the steps on a table, then lists every entry's parsed form: what each step answered, and what is left. */
export function play(table: BinfmtTable): { answers: string[]; left: unknown } {
  const answers = STEPS.map((step) => {
    try {
      if (step[0] === 'register') table.register(step[1]);
      else table.control(step[1], step[2]);
      return 'ok';
    } catch (err) {
      return err instanceof QemuBinfmtError ? `${err.code} ${err.errno}` : String(err);
    }
  });
  return { answers, left: JSON.parse(JSON.stringify(table.list(), (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v))) };
}
