import type { TableOptions } from '../kernel/access.js';
import { testPlatforms } from '../operations/test.js';
import { defineCommand, exactly } from './command.js';
import { CONDITIONS } from '../conditions.js';
import { envelope, finding } from './json.js';
import { write, writeJson } from './output.js';
import { formatProbeReport } from './render.js';

export const testCommand = defineCommand({
  name: 'test',
  describe: 'Prove registrations work: run a tiny probe executable per platform through the kernel',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all registered)' }],
  options: ['binfmt-dir', ['json', 'print a JSON report']],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    const report = await testPlatforms(platforms, exactly<TableOptions>()(options));
    if (json) {
      const failing = report.results.filter((r) => r.outcome !== 'pass' && r.outcome !== 'no-probe');
      const findings = [
        ...report.conditions.map((c) => finding(c)),
        ...failing.map((r) => finding(CONDITIONS.PROBE_FAILS(r.entry, r.detail, r.platform), { platform: r.platform, entry: r.entry })),
      ];
      writeJson(io, envelope('test', report.results, findings, {}));
    } else write(io, formatProbeReport(report));
    return report.ok ? 0 : 1;
  },
});
