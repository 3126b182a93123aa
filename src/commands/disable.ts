import { disable, type DisableOptions } from '../operations/disable.js';
import { defineCommand, exactly } from './command.js';
import { installerOptions } from './installer.js';
import { finish } from './output.js';

export const disableCommand = defineCommand({
  name: 'disable',
  describe: "Remove qemu-binfmt's entries for platforms (or all); other entries are left alone",
  positionals: [{ name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all' }],
  options: [
    'binfmt-dir',
    ['force', 'remove a same-named entry even when its magic/mask are not ours'],
    ['dry-run', 'say what would be removed; write nothing'],
    ['chroot', 'also unmount what enable --chroot bound into this chroot; repeatable'],
    'allow-private',
    'json',
  ],
  run: async ({ platforms, options: { allowPrivate, json, ...options } }, io) =>
    finish(io, await disable(platforms, exactly<DisableOptions>()({ ...options, ...installerOptions(allowPrivate) })), json),
});
