import { header } from '../file-mark.js';
import { systemdQuote } from '../quote.js';
import { bootCommands, type Exporter } from './types.js';

export const UNIT_NAME = 'qemu-binfmt.service';
export const UNIT_WANTED_BY = 'multi-user.target';

/**
 * A oneshot unit: ordered after the binfmt_misc mount and after systemd-binfmt and binfmt-support
 * (both flush all entries when they start), and restarted with systemd-binfmt (PartOf), so a
 * flush never leaves ours out (bootCommands says what ExecStart and ExecStop run).
 */
export const systemdUnit: Exporter = (context) => {
  const { regenerate, createdDirs = [] } = context;
  const { platforms, start, stop, registers } = bootCommands(context);
  const exec = (args: readonly string[]) => args.map(systemdQuote).join(' ');
  return [
    {
      name: UNIT_NAME,
      content: [
        ...header({ regenerate, createdDirs }),
        ...registers,
        '[Unit]',
        `Description=QEMU user-mode emulators for ${platforms.join(' ')} (qemu-binfmt)`,
        'After=proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount local-fs.target',
        'After=systemd-binfmt.service binfmt-support.service',
        'PartOf=systemd-binfmt.service',
        '',
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        `ExecStart=${exec(start)}`,
        `ExecStop=${exec(stop)}`,
        '',
        '[Install]',
        `WantedBy=${UNIT_WANTED_BY}`,
        '',
      ].join('\n'),
      mode: 0o644,
    },
  ];
};
