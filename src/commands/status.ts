import { status, type StatusOptions } from '../operations/status.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { write, writeJson } from './output.js';
import { formatStatus } from './render.js';

export const statusCommand = defineCommand({
  name: 'status',
  describe: 'Show what is registered (read-only)',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases (default: all)' }],
  options: ['binfmt-dir', ['root', 'where to look for persisted registrations [default: /]'], ['json', 'print JSON (shape in the README)']],
  run: async ({ platforms, options: { json, ...options } }, io) => {
    // In the container image, status mounts binfmt_misc too, so that it can read the host's table.
    const report = await status(platforms, exactly<StatusOptions>()({ ...options, ...installerOptions(true) }));
    if (json) writeJson(io, report);
    else write(io, formatStatus(report, platforms.length > 0));
    return report.mounted ? 0 : 1;
  },
});
