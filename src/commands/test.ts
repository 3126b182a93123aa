import { testPlatforms, type TestOptions } from '../operations/test.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { probeEnvelope } from './json.js';
import { write, writeJson } from './output.js';
import { formatProbeReport } from './render.js';

export const testCommand = defineCommand({
  name: 'test',
  describe:
    'Prove registrations work: run a tiny probe executable per platform through the kernel; --deep: the system calls current userlands need',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all registered)' }],
  options: ['binfmt-dir', 'deep', ['json', 'print a JSON report']],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    const report = await testPlatforms(platforms, exactly<TestOptions>()({ ...options, ...installerOptions(true) }));
    if (json) writeJson(io, probeEnvelope(report));
    else write(io, formatProbeReport(report));
    return report.ok ? 0 : 1;
  },
});
