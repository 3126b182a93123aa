import { realpathSync } from 'node:fs';
import { entriesAtBoot, exportFiles, type ExportOptions } from '../operations/export.js';
import { DECIDES } from '../boot/exporters/index.js';
import { readPreferences } from '../plan/preferences.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { defineCommand, exactly } from './command.js';
import { envelope, errorFinding, finding } from './json.js';
import { write, writeJson } from './output.js';
import { conditionLine } from './render.js';

/** How boot units run this qemu-binfmt: this node and this CLI, by absolute path. */
export function selfCommand(): string[] {
  return [process.execPath, realpathSync(process.argv[1]!)];
}

export const exportCommand = defineCommand({
  name: 'export',
  describe:
    'Write the registrations for a boot system (binfmt.d, binfmt-support, sh, systemd-unit, openrc), or unshare --load-interp command lines',
  positionals: [{ name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all' }],
  options: [
    ...PLAN_OPTIONS,
    'format',
    'output',
    'binfmt-dir',
    [
      'take-over',
      "ours loads last (binfmt.d: zz-qemu-PLATFORM.conf), also where another tool's entry serves the platform now [default: leave such a platform out]",
    ],
    'preferences',
    'json',
  ],
  run: ({ platforms, options: { format, json, table: _noTable, binfmtDir, ...options } }, io) => {
    const result = exportFiles(
      platforms,
      exactly<ExportOptions>()({
        ...options,
        format: format!,
        command: selfCommand(),
        // A private instance (unshare) holds no other emulator.
        ...(DECIDES[format!] === 'never'
          ? {}
          : {
              entries: entriesAtBoot('/', binfmtDir !== undefined ? { binfmtDir } : {}),
              preferences: readPreferences(options.preferencesFile),
            }),
      }),
    );
    const left = result.leftOut.map(({ target, condition }) => ({ condition, platform: target.platform.name }));
    if (json) {
      const findings = [
        ...result.plan.conditions.map((c) => finding(c)),
        ...left.map(({ condition, platform }) => finding(condition, { platform })),
        ...result.failed.map(({ platform, error }) => errorFinding(error, { platform })),
      ];
      const files = result.files.map((f, i) => ({ ...f, ...(result.written[i] ? { path: result.written[i] } : {}) }));
      const out = envelope('export', files, findings, { format: result.format, skipped: result.plan.skipped });
      writeJson(io, out);
      return out.ok ? 0 : 1;
    }
    const stdout =
      options.output !== undefined
        ? result.written.map((path) => `wrote ${path}`)
        : result.files.flatMap((f) => (result.files.length > 1 ? [`==> ${f.name} <==`, f.content] : [f.content.trimEnd()]));
    write(io, {
      stdout,
      stderr: [
        ...result.plan.conditions.map(conditionLine),
        ...left.map(({ condition }) => conditionLine(condition)),
        ...result.failed.map(({ error }) => `qemu-binfmt: ${error.describe()}`),
      ],
    });
    return result.failed.length ? 1 : 0;
  },
});
