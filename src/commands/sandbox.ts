import type { TableOptions } from '../kernel/access.js';
import { CONDITIONS } from '../conditions.js';
import { sandboxNeeds } from '../operations/sandbox.js';
import { DAEMONS, DEFAULT_NIX_CONF } from '../options/definitions.js';
import { guixDropIn, guixOptions } from '../sandbox/guix.js';
import { nixSettings, writeNixConf } from '../sandbox/nix.js';
import { defineCommand, exactly } from './command.js';
import { envelope, finding } from './json.js';
import { write, writeJson } from './output.js';
import { conditionLine } from './render.js';

export const sandboxCommand = defineCommand({
  name: 'sandbox',
  describe: "What a build daemon's sandbox needs to run the registered interpreters (nix: nix.conf settings; guix: guix-daemon options)",
  positionals: [
    { name: 'daemon', demand: true, choices: DAEMONS, describe: 'the build daemon' },
    { name: 'platforms', variadic: true, demand: true, describe: 'platforms or aliases, or all (registered ones)' },
  ],
  options: ['binfmt-dir', 'write', 'json'],
  run: async ({ daemon, platforms, options: { write: nixConf, json, ...options } }, io) => {
    const needs = await sandboxNeeds(platforms, exactly<TableOptions>()(options));
    const conditions = needs.missing.map((p) => CONDITIONS.NOT_OURS_HERE(p.name));
    let settings: string[];
    let stdout: string[];
    let wrote: string | undefined;
    if (daemon === 'nix') {
      conditions.push(
        ...needs.platforms
          .filter(({ platform }) => !platform.aliases.nix?.length)
          .map(({ platform }) => CONDITIONS.NO_NIX_SYSTEM(platform.name)),
      );
      stdout = settings = nixSettings(needs);
      if (nixConf !== undefined && settings.length) {
        const file = nixConf || DEFAULT_NIX_CONF;
        const changed = writeNixConf(file, settings);
        if (changed) wrote = file;
        stdout = changed
          ? [`updated ${file}; restart nix-daemon for it to take effect (systemctl restart nix-daemon)`]
          : [`${file} is up to date`];
      }
    } else {
      settings = guixOptions([...new Set(needs.platforms.flatMap(({ paths }) => paths))]);
      stdout = settings.length
        ? [
            '# guix-daemon options:',
            ...settings,
            '# systemd drop-in, /etc/systemd/system/guix-daemon.service.d/qemu-binfmt.conf:',
            guixDropIn(settings).trimEnd(),
          ]
        : ['# nothing to add: every interpreter is registered with F from a static file, which the kernel holds open'];
    }
    const out = envelope(
      'sandbox',
      needs.platforms.map(({ platform, entry, paths }) => ({
        platform: platform.name,
        entry: entry.name,
        interpreter: entry.interpreter,
        paths,
      })),
      conditions.map((c) => finding(c)),
      { daemon: daemon!, settings, ...(wrote ? { wrote } : {}) },
    );
    if (json) writeJson(io, out);
    else write(io, { stdout, stderr: conditions.map(conditionLine) });
    return out.ok ? 0 : 1;
  },
});
