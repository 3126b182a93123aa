import { header } from '../header.js';
import { systemdQuote } from '../quote.js';
import { REGISTERS_PREFIX, type Exporter } from './types.js';

export const UNIT_NAME = 'qemu-binfmt.service';
export const UNIT_WANTED_BY = 'multi-user.target';

/**
 * A oneshot unit: ordered after the binfmt_misc mount and after systemd-binfmt and binfmt-support
 * (both flush all entries when they start), and restarted with systemd-binfmt (PartOf), so a
 * flush never leaves ours out. ExecStart replaces a same-named entry they loaded (--force, as the
 * sh script does); ExecStop removes exactly the platforms ExecStart registered.
 */
export const systemdUnit: Exporter = ({ targets, regenerate, command, enableArgs, createdDirs = [] }) => {
  const platforms = targets.map((t) => t.platform.name);
  const exec = (args: readonly string[]) => [...command, ...args].map(systemdQuote).join(' ');
  return [
    {
      name: UNIT_NAME,
      content: [
        ...header({ regenerate, createdDirs }),
        ...targets.map((t) => `${REGISTERS_PREFIX}${t.line.trimEnd()}`),
        '[Unit]',
        `Description=QEMU user-mode emulators for ${platforms.join(' ')} (qemu-binfmt)`,
        'After=proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount local-fs.target',
        'After=systemd-binfmt.service binfmt-support.service',
        'PartOf=systemd-binfmt.service',
        '',
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        `ExecStart=${exec(['enable', '--mount', '--force', ...enableArgs, ...platforms])}`,
        `ExecStop=${exec(['disable', ...platforms])}`,
        '',
        '[Install]',
        `WantedBy=${UNIT_WANTED_BY}`,
        '',
      ].join('\n'),
      mode: 0o644,
    },
  ];
};
