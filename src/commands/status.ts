import { checkRegistered, type CheckOptions } from '../operations/check.js';
import { emulatorsRecord, provenance } from '../operations/provenance.js';
import { status, type StatusOptions } from '../operations/status.js';
import { shared } from '../conditions.js';
import { usageError } from '../errors.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { readPreferences } from '../plan/preferences.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { checkEnvelope, envelope, statusEnvelope } from './json.js';
import { write, writeJson } from './output.js';
import { conditionLine, formatProvenance, formatStatus } from './render.js';

export const statusCommand = defineCommand({
  name: 'status',
  describe: 'Show what is registered (read-only); --check for a health check',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all)' }],
  options: [
    'binfmt-dir',
    ['root', 'where to look for persisted registrations [default: /]'],
    ['json', 'print JSON (docs/json.md)'],
    'check',
    'probe',
    'lock',
    'provenance',
    [
      'preferences',
      'with --check: the emulator each platform should have (a platform left to another is fine) [default: /etc/qemu-binfmt/preferences, when there is one]',
    ],
    ...PLAN_OPTIONS,
  ],
  run: async (
    { platforms, options: { json, check, probe, lock, provenance: withProvenance, root, binfmtDir, table, preferencesFile, ...plan } },
    io,
  ) => {
    const dir = { ...(binfmtDir !== undefined ? { binfmtDir } : {}), ...(table ? { table } : {}) };
    if ((probe || lock !== undefined || preferencesFile !== undefined) && !check)
      throw usageError(`--${probe ? 'probe' : lock !== undefined ? 'lock' : 'preferences'} is for status --check`, 'add --check');
    if (withProvenance) {
      const facts = await provenance(platforms, { ...dir, ...installerOptions(true) });
      // The container image says which package its emulators came from, whether or not any is registered.
      const emulators = emulatorsRecord();
      if (json) writeJson(io, envelope('status --provenance', facts, [], emulators ? { emulators } : {}));
      else write(io, formatProvenance(facts, emulators));
      return 0;
    }
    if (check) {
      const report = await checkRegistered(
        platforms,
        exactly<CheckOptions>()({
          ...plan,
          ...dir,
          preferences: readPreferences(preferencesFile),
          ...(probe ? { probe } : {}),
          ...(lock !== undefined ? { lock } : {}),
        }),
      );
      if (json) writeJson(io, checkEnvelope(report));
      else
        write(io, {
          stdout: report.ok
            ? [`ok: ${report.checked.join(' ') || 'nothing to check'}`]
            : report.problems.map((p) => `${p.platform}: ${p.problem}`),
          stderr: shared(report.warnings.map((w) => [w.entry, w] as const)).map(conditionLine),
        });
      return report.ok ? 0 : 1;
    }
    if (Object.keys(plan).length) throw usageError('the interpreter and flag options are for status --check', 'add --check, or drop them');
    // In the container image, status mounts binfmt_misc too, so that it can read the host's table.
    const report = await status(
      platforms,
      exactly<StatusOptions>()({ ...dir, ...(root !== undefined ? { root } : {}), ...installerOptions(true) }),
    );
    const out = statusEnvelope(report);
    if (json) writeJson(io, out);
    else write(io, formatStatus(report, platforms.length > 0));
    return out.ok ? 0 : 1;
  },
});
