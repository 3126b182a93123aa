import { INSTALLER_ENV } from '../options/definitions.js';

/**
 * Installer mode: the container image sets QEMU_BINFMT_INSTALLER=1 (see the Dockerfile). Then
 * enable and disable mount binfmt_misc when it is missing, and refuse to run in a user namespace
 * of its own (its registrations would be private to the container) unless --allow-private.
 */
export function installerOptions(allowPrivate: boolean | undefined): { mount?: true; refusePrivate?: boolean } {
  return process.env[INSTALLER_ENV] === '1' ? { mount: true, refusePrivate: !allowPrivate } : {};
}
