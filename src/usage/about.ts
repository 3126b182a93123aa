/** What --help and the man page both say about the program as a whole. */
export const TAGLINE = 'Register QEMU user-mode emulators with binfmt_misc, and only touch what it registered.';

export const EXIT_CODES = [
  ['0', 'ok'],
  ['1', 'a target or the system failed (every target is attempted)'],
  ['2', 'bad input (nothing written)'],
] as const;

export const ENVIRONMENT = [
  ['QEMU_BINFMT_DIR', 'the binfmt_misc directory when --binfmt-dir is not given [default: /proc/sys/fs/binfmt_misc]'],
  [
    'QEMU_BINFMT_CACHE_DIR',
    "where the interpreters' QEMU versions are remembered; empty: nowhere [default: /var/cache/qemu-binfmt as root, else $XDG_CACHE_HOME/qemu-binfmt]",
  ],
  ['QEMU_BINFMT_HOST_ARCH', "the host's machine (uname -m) to plan for, instead of this machine's"],
  ['QEMU_BINFMT_INSTALLER', '1 in the container image: mount binfmt_misc if needed, and refuse a table private to the container'],
] as const;
