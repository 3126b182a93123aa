/**
 * Installer mode: the container image sets QEMU_BINFMT_INSTALLER=1 (see the Dockerfile). Then
 * enable and disable mount binfmt_misc when it is missing, and refuse to run in a user namespace
 * of its own (its registrations would be private to the container) unless --allow-private.
 */
export const INSTALLER_ENV = 'QEMU_BINFMT_INSTALLER';

export function installerOptions(allowPrivate: boolean | undefined): { mount?: true; refusePrivate?: boolean } {
  return process.env[INSTALLER_ENV] === '1' ? { mount: true, refusePrivate: !allowPrivate } : {};
}

export const allowPrivateOption = {
  type: 'boolean',
  describe: `with ${INSTALLER_ENV}=1 (the container image): register even in a user namespace of its own, where the table is private to the container`,
} as const;
