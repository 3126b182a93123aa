import { enable, type EnableOptions } from '../operations/enable.js';
import { REGISTER_OPTIONS } from '../options/definitions.js';
import { readPreferences } from '../plan/preferences.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { finish } from './output.js';

export const enableCommand = defineCommand({
  name: 'enable',
  describe: 'Register QEMU for platforms (names, aliases, or all)',
  positionals: [{ name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all' }],
  options: [...REGISTER_OPTIONS, 'dry-run', 'json'],
  run: async ({ platforms, options: { allowPrivate, json, preferencesFile, ...options } }, io) =>
    finish(
      io,
      await enable(
        platforms,
        exactly<EnableOptions>()({ ...options, preferences: readPreferences(preferencesFile), ...installerOptions(allowPrivate) }),
      ),
      json,
    ),
});
