import { persist, type PersistOptions } from '../operations/persist.js';
import type { Report } from '../operations/report.js';
import { unpersist, type UnpersistOptions } from '../operations/unpersist.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { defineCommand, exactly } from './command.js';
import { selfCommand } from './export.js';
import { write, writeJson, type Io } from './output.js';
import { conditionLine, formatReport } from './render.js';

/** Prints the files part, then the kernel part (enable or disable); exit 1 when the kernel part failed. */
function finishWith(io: Io, lines: string[], kernel: Report | undefined, json: boolean | undefined, value: unknown): number {
  if (json) writeJson(io, value);
  else {
    write(io, { stdout: lines, stderr: [] });
    if (kernel) write(io, formatReport(kernel));
  }
  return kernel && !kernel.ok ? 1 : 0;
}

export const persistCommand = defineCommand({
  name: 'persist',
  describe: 'Make registrations come back at every boot (binfmt.d, a systemd unit or an OpenRC script), and register now',
  positionals: [{ name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all' }],
  options: [
    ...PLAN_OPTIONS,
    'binfmt-dir',
    'root',
    'via',
    'now',
    ['force', 'when registering now, replace a same-named entry that differs; replace an empty (masking) boot file'],
    ['json', 'print a JSON report'],
  ],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    const report = await persist(platforms, exactly<PersistOptions>()({ ...options, mount: true, command: selfCommand() }));
    const lines = [
      ...report.written.map((p) => `wrote ${p}`),
      ...report.linked.map((p) => `linked ${p}`),
      ...report.masked.map(
        (p) => `kept ${p}: an empty file there masks it (systemd's convention), so it was not written; --force replaces it`,
      ),
    ];
    // With a registration now, its report says the warnings.
    if (!json && !report.enabled) write(io, { stdout: [], stderr: report.conditions.map(conditionLine) });
    const code = finishWith(io, lines, report.enabled, json, report);
    return report.masked.length ? 1 : code;
  },
});

export const unpersistCommand = defineCommand({
  name: 'unpersist',
  describe: 'Remove the boot-time files qemu-binfmt wrote (only those), and the entries now',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all)' }],
  options: ['binfmt-dir', 'root', 'now', ['json', 'print a JSON report']],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    const report = await unpersist(platforms, exactly<UnpersistOptions>()(options));
    const lines = [
      ...report.removed.map((p) => `removed ${p}`),
      ...report.kept.map((k) => `kept ${k.path}: ${k.reason}`),
      ...(report.removed.length + report.kept.length === 0 ? [`no file written by qemu-binfmt under ${report.root}`] : []),
    ];
    return finishWith(io, lines, report.disabled, json, report);
  },
});
