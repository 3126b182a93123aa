import { runRootless, type RunOptions } from '../operations/run.js';
import { PLAN_OPTIONS } from '../options/definitions.js';
import { defineCommand, exactly } from './command.js';

export const runCommand = defineCommand({
  name: 'run',
  describe: 'Run a command with QEMU in a private binfmt_misc table, without root (Linux >= 6.7); --rootfs for a foreign root filesystem',
  positionals: [{ name: 'platforms', variadic: true, describe: "platforms or aliases, or all [default: all that are not the host's]" }],
  command: '-- COMMAND [ARGS...]',
  options: [...PLAN_OPTIONS, 'rootfs', 'bind', 'map'],
  run: async ({ platforms, command, options: { table: _ownTable, ...options } }) =>
    (await runRootless(platforms, command, exactly<RunOptions>()(options))).exitCode,
});
