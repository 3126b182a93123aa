import { existsSync, readFileSync } from 'node:fs';

/** guix-daemon options that make the paths visible in its build chroots. */
export function guixOptions(paths: readonly string[]): string[] {
  return paths.map((p) => `--chroot-directory=${p}`);
}

const GUIX_DAEMON_UNITS = [
  '/etc/systemd/system/guix-daemon.service',
  '/lib/systemd/system/guix-daemon.service',
  '/usr/lib/systemd/system/guix-daemon.service',
];
const GUIX_DEFAULT_EXEC = '/var/guix/profiles/per-user/root/current-guix/bin/guix-daemon --build-users-group=guixbuild --discover=no';

/** A systemd drop-in for guix-daemon.service that adds the options to its command line. */
export function guixDropIn(options: readonly string[], units = GUIX_DAEMON_UNITS): string {
  const unit = units.find((u) => existsSync(u));
  const exec = unit ? /^ExecStart=(.+)$/m.exec(readFileSync(unit, 'utf8'))?.[1] : undefined;
  return [
    '# Written by qemu-binfmt sandbox guix: makes QEMU visible in guix-daemon build chroots.',
    `# Base command from ${unit ?? "Guix's own guix-daemon.service"}.`,
    '[Service]',
    'ExecStart=',
    `ExecStart=${exec ?? GUIX_DEFAULT_EXEC} ${options.join(' ')}`,
    '',
  ].join('\n');
}
