import { persist, type PersistOptions } from '../operations/persist.js';
import type { Report } from '../operations/report.js';
import { unpersist, type UnpersistOptions } from '../operations/unpersist.js';
import { CONDITIONS } from '../conditions.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { readPreferences } from '../plan/preferences.js';
import { defineCommand, exactly } from './command.js';
import { selfCommand } from './export.js';
import { envelope, finding, jsonTargets, reportFindings, type Finding } from './json.js';
import { write, writeJson, type Io } from './output.js';
import { conditionLine, formatReport } from './render.js';

/** One boot file and what was done with it. */
interface FileResult {
  path: string;
  action: 'written' | 'linked' | 'masked' | 'removed' | 'kept';
  reason?: string;
}

/**
 * Prints the files part, then the kernel part (enable or disable), as text or as one envelope
 * whose details hold the kernel part's targets; exit 1 when anything is a problem.
 */
function finishWith(
  io: Io,
  command: 'persist' | 'unpersist',
  files: FileResult[],
  own: Finding[],
  kernel: Report | undefined,
  details: object,
  json?: boolean,
): number {
  const findings = [...own, ...(kernel ? reportFindings(kernel) : [])];
  const result = envelope(command, files, findings, { ...details, ...(kernel ? { now: jsonTargets(kernel.results) } : {}) });
  if (json) writeJson(io, result);
  else {
    const lines = files
      .filter((f) => f.action !== 'masked')
      .map((f) => `${f.action === 'written' ? 'wrote' : f.action} ${f.path}${f.reason ? `: ${f.reason}` : ''}`);
    write(io, { stdout: lines, stderr: own.map((f) => conditionLine(f)) });
    if (kernel) write(io, formatReport(kernel));
  }
  return result.ok ? 0 : 1;
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
    'preferences',
    [
      'take-over',
      "ours loads last at boot (binfmt.d: zz-qemu-PLATFORM.conf), also where another tool's entry serves the platform now, and wins now [default: leave such a platform out]",
    ],
    ['force', 'when registering now, replace a same-named entry that differs; replace an empty (masking) boot file'],
    ['json', 'print a JSON report'],
  ],
  run: async ({ platforms, options: { json, preferencesFile, ...options } }, io) => {
    const { enabled, written, linked, removed, masked, conditions, ...details } = await persist(
      platforms,
      exactly<PersistOptions>()({
        ...options,
        preferences: readPreferences(preferencesFile, options.root),
        // Named here, it is read at boot too; in an image, the image's own.
        ...(preferencesFile !== undefined && options.root === undefined ? { preferencesFile } : {}),
        mount: true,
        command: selfCommand(),
      }),
    );
    const files: FileResult[] = [
      ...written.map((path) => ({ path, action: 'written' as const })),
      ...linked.map((path) => ({ path, action: 'linked' as const })),
      ...removed.map((path) => ({ path, action: 'removed' as const })),
      ...masked.map((path) => ({ path, action: 'masked' as const })),
    ];
    // With a registration now, its report says what the plan found; the masked files are persist's own.
    const own = conditions.filter((c) => !enabled?.conditions.some((k) => k.code === c.code)).map((c) => finding(c));
    return finishWith(io, 'persist', files, own, enabled, details, json);
  },
});

export const unpersistCommand = defineCommand({
  name: 'unpersist',
  describe: 'Remove the boot-time files qemu-binfmt wrote (only those), and the entries now',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all)' }],
  options: ['binfmt-dir', 'root', 'now', ['json', 'print a JSON report']],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    const { removed, kept, disabled, root } = await unpersist(platforms, exactly<UnpersistOptions>()(options));
    const files: FileResult[] = [
      ...removed.map((path) => ({ path, action: 'removed' as const })),
      ...kept.map(({ path, reason }) => ({ path, action: 'kept' as const, reason })),
    ];
    const nothing = files.length ? [] : [finding(CONDITIONS.NOTHING_PERSISTED(root))];
    return finishWith(io, 'unpersist', files, nothing, disabled, { root }, json);
  },
});
