import type { Argv, CommandModule } from 'yargs';
import { guixDropIn, guixOptions, nixSettings, sandboxNeeds, unique, writeNixConf } from '../sandbox.js';
import { defined, write } from './output.js';

interface SandboxArgs {
  daemon: 'nix' | 'guix';
  platforms: string[];
  'binfmt-dir'?: string;
  write?: string;
}

export const DEFAULT_NIX_CONF = '/etc/nix/nix.conf';

export const sandboxCommand: CommandModule<object, SandboxArgs> = {
  command: 'sandbox <daemon> <platforms..>',
  describe: "What a build daemon's sandbox needs to run the registered interpreters (nix: nix.conf settings; guix: guix-daemon options)",
  builder: (y: Argv) =>
    y
      .positional('daemon', { choices: ['nix', 'guix'] as const, describe: 'the build daemon' })
      .positional('platforms', { type: 'string', array: true, demandOption: true, describe: 'platforms or aliases, or all (registered ones)' })
      .option('write', {
        type: 'string',
        describe: `nix: add or update a marked block in this nix.conf, leaving the rest as it is [default: ${DEFAULT_NIX_CONF}]`,
      }) as unknown as Argv<SandboxArgs>,
  handler: async (argv) => {
    const needs = await sandboxNeeds(argv.platforms, defined({ binfmtDir: argv['binfmt-dir'] }));
    const stderr = needs.missing.map((p) => `qemu-binfmt: ${p.name} is not registered by qemu-binfmt here; enable it first (qemu-binfmt enable ${p.name})`);
    let stdout: string[];
    if (argv.daemon === 'nix') {
      stderr.push(...needs.platforms.filter(({ platform }) => !platform.aliases.nix?.length).map(({ platform }) => `notice: ${platform.name} has no Nix system name; left out`));
      const settings = nixSettings(needs);
      if (argv.write === undefined || settings.length === 0) stdout = settings;
      else {
        const file = argv.write || DEFAULT_NIX_CONF;
        stdout = writeNixConf(file, settings)
          ? [`updated ${file}; restart nix-daemon for it to take effect (systemctl restart nix-daemon)`]
          : [`${file} is up to date`];
      }
    } else {
      const options = guixOptions(unique(needs.platforms.flatMap(({ paths }) => paths)));
      stdout = options.length
        ? ['# guix-daemon options:', ...options, '# systemd drop-in, /etc/systemd/system/guix-daemon.service.d/qemu-binfmt.conf:', guixDropIn(options).trimEnd()]
        : ['# nothing to add: every interpreter is registered with F from a static file, which the kernel holds open'];
    }
    write({ stdout, stderr });
    if (needs.missing.length) process.exitCode = 1;
  },
};
