import type { Argv, CommandModule } from 'yargs';
import { VIAS, type Via } from '../boot-systems.js';
import { formatReport } from '../format.js';
import { persist } from '../persist.js';
import { unpersist } from '../unpersist.js';
import { selfCommand } from './export.js';
import { defined, write, writeJson } from './output.js';
import { planOptionsOf, withPlanOptions, type PlanArgs } from './plan-options.js';
import type { Report } from '../report.js';

interface PersistArgs extends PlanArgs {
  'binfmt-dir'?: string;
  root?: string;
  via?: Via;
  now?: boolean;
  force?: boolean;
  json?: boolean;
}

const rootOption = {
  type: 'string',
  describe: 'an offline image tree to work in; nothing is registered or removed in the kernel then',
} as const;
const nowOption = { type: 'boolean', default: true, describe: 'also act on the kernel now (--no-now: only the files)' } as const;

/** Prints the files part, then the kernel part (enable or disable), and sets the exit code. */
function finishWith(lines: string[], kernel: Report | undefined, json: boolean | undefined, value: unknown): void {
  if (json) writeJson(value);
  else {
    write({ stdout: lines, stderr: [] });
    if (kernel) write(formatReport(kernel));
  }
  if (kernel && !kernel.ok) process.exitCode = 1;
}

export const persistCommand: CommandModule<object, PersistArgs> = {
  command: 'persist <platforms..>',
  describe: 'Make registrations come back at every boot (binfmt.d, a systemd unit or an OpenRC script), and register now',
  builder: (y: Argv) =>
    withPlanOptions(y)
      .option('root', rootOption)
      .option('via', { choices: VIAS, describe: "how [default: binfmt.d with systemd-binfmt, else a systemd unit, else OpenRC]" })
      .option('now', nowOption)
      .option('force', { type: 'boolean', describe: 'when registering now, replace a same-named entry that differs' })
      .option('json', { type: 'boolean', describe: 'print a JSON report' }) as unknown as Argv<PersistArgs>,
  handler: async (argv) => {
    const report = await persist(argv.platforms, {
      ...planOptionsOf(argv),
      ...defined({ binfmtDir: argv['binfmt-dir'], root: argv.root, via: argv.via, now: argv.now, force: argv.force }),
      mount: true,
      command: selfCommand(),
    });
    const lines = [...report.written.map((p) => `wrote ${p}`), ...report.linked.map((p) => `linked ${p}`)];
    finishWith(lines, report.enabled, argv.json, report);
  },
};

interface UnpersistArgs {
  platforms: string[];
  'binfmt-dir'?: string;
  root?: string;
  now?: boolean;
  json?: boolean;
}

export const unpersistCommand: CommandModule<object, UnpersistArgs> = {
  command: 'unpersist [platforms..]',
  describe: 'Remove the boot-time files qemu-binfmt wrote (only those), and the entries now',
  builder: (y: Argv) =>
    y
      .positional('platforms', { type: 'string', array: true, default: [], describe: 'platforms or aliases (default: all)' })
      .option('root', rootOption)
      .option('now', nowOption)
      .option('json', { type: 'boolean', describe: 'print a JSON report' }) as unknown as Argv<UnpersistArgs>,
  handler: async (argv) => {
    const report = await unpersist(argv.platforms, defined({ binfmtDir: argv['binfmt-dir'], root: argv.root, now: argv.now }));
    const lines = [
      ...report.removed.map((p) => `removed ${p}`),
      ...report.kept.map((k) => `kept ${k.path}: ${k.reason}`),
      ...(report.removed.length + report.kept.length === 0 ? [`no file written by qemu-binfmt under ${report.root}`] : []),
    ];
    finishWith(lines, report.disabled, argv.json, report);
  },
};
