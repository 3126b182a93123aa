import { realpathSync } from 'node:fs';
import { exportFiles, type ExportOptions } from '../operations/export.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { defineCommand, exactly } from './command.js';
import { write } from './output.js';
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
  options: [...PLAN_OPTIONS, 'format', 'output'],
  run: ({ platforms, options: { format, ...options } }, io) => {
    const result = exportFiles(platforms, exactly<ExportOptions>()({ ...options, format: format!, command: selfCommand() }));
    const stdout =
      options.output !== undefined
        ? result.written.map((path) => `wrote ${path}`)
        : result.files.flatMap((f) => (result.files.length > 1 ? [`==> ${f.name} <==`, f.content] : [f.content.trimEnd()]));
    write(io, {
      stdout,
      stderr: [...result.plan.conditions.map(conditionLine), ...result.failed.map(({ error }) => `qemu-binfmt: ${error.describe()}`)],
    });
    return result.failed.length ? 1 : 0;
  },
});
