import type { TableOptions } from '../kernel/access.js';
import { sandboxNeeds } from '../operations/sandbox.js';
import { DAEMONS, DEFAULT_NIX_CONF } from '../options/definitions.js';
import { guixDropIn, guixOptions } from '../sandbox/guix.js';
import { nixSettings, writeNixConf } from '../sandbox/nix.js';
import { defineCommand, exactly } from './command.js';
import { write } from './output.js';

export const sandboxCommand = defineCommand({
  name: 'sandbox',
  describe: "What a build daemon's sandbox needs to run the registered interpreters (nix: nix.conf settings; guix: guix-daemon options)",
  positionals: [
    { name: 'daemon', demand: true, choices: DAEMONS, describe: 'the build daemon' },
    { name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all (registered ones)' },
  ],
  options: ['binfmt-dir', 'write'],
  run: async ({ daemon, platforms, options: { write: nixConf, ...options } }, io) => {
    const needs = await sandboxNeeds(platforms, exactly<TableOptions>()(options));
    const stderr = needs.missing.map(
      (p) => `qemu-binfmt: ${p.name} is not registered by qemu-binfmt here; enable it first (qemu-binfmt enable ${p.name})`,
    );
    let stdout: string[];
    if (daemon === 'nix') {
      stderr.push(
        ...needs.platforms
          .filter(({ platform }) => !platform.aliases.nix?.length)
          .map(({ platform }) => `notice: ${platform.name} has no Nix system name; left out`),
      );
      const settings = nixSettings(needs);
      if (nixConf === undefined || settings.length === 0) stdout = settings;
      else {
        const file = nixConf || DEFAULT_NIX_CONF;
        stdout = writeNixConf(file, settings)
          ? [`updated ${file}; restart nix-daemon for it to take effect (systemctl restart nix-daemon)`]
          : [`${file} is up to date`];
      }
    } else {
      const options = guixOptions([...new Set(needs.platforms.flatMap(({ paths }) => paths))]);
      stdout = options.length
        ? [
            '# guix-daemon options:',
            ...options,
            '# systemd drop-in, /etc/systemd/system/guix-daemon.service.d/qemu-binfmt.conf:',
            guixDropIn(options).trimEnd(),
          ]
        : ['# nothing to add: every interpreter is registered with F from a static file, which the kernel holds open'];
    }
    write(io, { stdout, stderr });
    return needs.missing.length ? 1 : 0;
  },
});
