import { header } from '../header.js';
import { shellQuote } from '../quote.js';
import { REGISTERS_PREFIX, type Exporter } from './types.js';

export const OPENRC_NAME = 'qemu-binfmt';

/** An OpenRC init script doing what the systemd unit does, after OpenRC's own binfmt service. */
export const openrc: Exporter = ({ targets, regenerate, command, enableArgs, createdDirs = [] }) => {
  const platforms = targets.map((t) => t.platform.name);
  const run = (args: readonly string[]) => [...command, ...args].map(shellQuote).join(' ');
  return [
    {
      name: OPENRC_NAME,
      content: [
        '#!/sbin/openrc-run',
        ...header({ regenerate, createdDirs }),
        ...targets.map((t) => `${REGISTERS_PREFIX}${t.line.trimEnd()}`),
        '',
        `description="QEMU user-mode emulators for ${platforms.join(' ')} (qemu-binfmt)"`,
        '',
        'depend() {',
        '\tafter procfs binfmt localmount',
        '}',
        '',
        'start() {',
        '\tebegin "Registering QEMU user-mode emulators"',
        `\t${run(['enable', '--mount', '--force', ...enableArgs, ...platforms])}`,
        '\teend $?',
        '}',
        '',
        'stop() {',
        '\tebegin "Removing QEMU user-mode emulators"',
        `\t${run(['disable', ...platforms])}`,
        '\teend $?',
        '}',
        '',
      ].join('\n'),
      mode: 0o755,
    },
  ];
};
