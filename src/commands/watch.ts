import { parseInterval, watch, type Watcher, type WatchOptions } from '../operations/watch.js';
import { usageError } from '../errors.js';
import { REGISTER_OPTIONS } from '../options/definitions.js';
import { readPreferences } from '../plan/preferences.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { printable } from './output.js';

export const watchCommand = defineCommand({
  name: 'watch',
  describe: 'Register like enable, then stay and repair what goes missing or changes (SIGTERM or SIGINT ends it; the entries stay)',
  positionals: [{ name: 'platforms', variadic: true, describe: 'platforms or aliases, or all (or --platforms-file)' }],
  options: [...REGISTER_OPTIONS, 'interval', 'platforms-file', ['json', 'one JSON line per event']],
  run: async ({ platforms, options: { allowPrivate, json, interval, preferencesFile, ...options } }, io) => {
    if (!platforms.length && !options.platformsFile)
      throw usageError('watch needs platforms, or --platforms-file FILE', 'qemu-binfmt watch all');
    // The signals are taken before the first write, so that a SIGTERM during it still ends the watch cleanly.
    let watcher: Watcher | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      watcher?.stop();
    };
    const reload = () => watcher?.reload();
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', reload);
    try {
      watcher = watch(
        platforms,
        exactly<WatchOptions>()({
          ...options,
          preferences: readPreferences(preferencesFile),
          readPreferences: () => readPreferences(preferencesFile),
          ...installerOptions(allowPrivate),
          ...(interval !== undefined ? { intervalSeconds: parseInterval(interval) } : {}),
        }),
        (event) =>
          io.stdout(
            json
              ? `${JSON.stringify(event)}\n`
              : printable(`${event.time} ${event.entry ? `${event.entry}: ` : ''}${event.found}: ${event.did}\n`),
          ),
      );
      if (stopped) watcher.stop();
      await watcher.done;
    } finally {
      process.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', reload);
    }
    return 0;
  },
});
