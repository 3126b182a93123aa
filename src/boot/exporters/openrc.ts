import { header } from '../file-mark.js';
import { shellQuote } from '../quote.js';
import { bootCommands, type Exporter } from './types.js';

export const OPENRC_NAME = 'qemu-binfmt';

/** An OpenRC init script doing what the systemd unit does, after OpenRC's own binfmt service. */
export const openrc: Exporter = (context) => {
  const { regenerate, createdDirs = [] } = context;
  const { platforms, start, stop, registers } = bootCommands(context);
  const run = (args: readonly string[]) => args.map(shellQuote).join(' ');
  return [
    {
      name: OPENRC_NAME,
      content: [
        '#!/sbin/openrc-run',
        ...header({ regenerate, createdDirs }),
        ...registers,
        '',
        `description="QEMU user-mode emulators for ${platforms.join(' ')} (qemu-binfmt)"`,
        '',
        'depend() {',
        '\tafter procfs binfmt localmount',
        '}',
        '',
        'start() {',
        '\tebegin "Registering QEMU user-mode emulators"',
        `\t${run(start)}`,
        '\teend $?',
        '}',
        '',
        'stop() {',
        '\tebegin "Removing QEMU user-mode emulators"',
        `\t${run(stop)}`,
        '\teend $?',
        '}',
        '',
      ].join('\n'),
      mode: 0o755,
    },
  ];
};
