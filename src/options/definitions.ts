/**
 * Every command-line option, once: its kind, the library option it sets, and its help. The
 * yargs builders, the argv-to-options mapping, the inverse that boot files use to run enable
 * again, and the options' TypeScript types are all derived from this table.
 */
type OptionKind = 'string' | 'strings' | 'boolean';

export interface OptionDef {
  readonly kind: OptionKind;
  /** The library option it sets. */
  readonly key: string;
  readonly describe: string;
  readonly choices?: readonly string[];
  /** Taken when the option is not given (yargs shows it in --help). */
  readonly default?: boolean;
  readonly demand?: boolean;
  /** Accepted by every command. */
  readonly global?: boolean;
  /**
   * A path, checked before any command runs (and written absolute when options are turned
   * back into arguments): `dir` an existing directory, `file` an existing file, `new-dir` a
   * directory or one that can be made, `new-file` a file or one that can be made, `any` a
   * path that other checks judge (it may lie in an image tree).
   */
  readonly path?: 'dir' | 'file' | 'new-dir' | 'new-file' | 'any';
  /** Given alone (`--write`), it takes its documented default. */
  readonly valueOptional?: boolean;
  /** When the option is turned back into arguments, this value needs no argument. */
  readonly implied?: boolean;
}

export const VIAS = ['binfmt.d', 'unit', 'openrc'] as const;
export const EXPORT_FORMATS = ['binfmt.d', 'binfmt-support', 'sh', 'systemd-unit', 'openrc', 'unshare'] as const;
export const DAEMONS = ['nix', 'guix'] as const;
const UID_MAPS = ['root', 'auto'] as const;
export const DEFAULT_NIX_CONF = '/etc/nix/nix.conf';
export const INSTALLER_ENV = 'QEMU_BINFMT_INSTALLER';

export const OPTIONS = {
  'binfmt-dir': {
    kind: 'string',
    key: 'binfmtDir',
    global: true,
    path: 'dir',
    describe: 'binfmt_misc directory [default: $QEMU_BINFMT_DIR or /proc/sys/fs/binfmt_misc]',
  },
  interpreter: { kind: 'string', key: 'interpreter', path: 'any', describe: 'the interpreter to register (one platform only)' },
  'interpreter-dir': {
    kind: 'string',
    key: 'interpreterDir',
    path: 'any',
    describe: 'look for qemu-<binary>-static / qemu-<binary> only in this directory',
  },
  'fix-binary': {
    kind: 'boolean',
    key: 'fixBinary',
    describe: 'F: the kernel opens the interpreter now, so it works in chroots and containers [default: on for a static interpreter]',
  },
  'preserve-argv0': {
    kind: 'boolean',
    key: 'preserveArgv0',
    describe: 'P: pass argv[0] on (busybox applets need it) [default: on when the interpreter understands it]',
  },
  credentials: {
    kind: 'boolean',
    key: 'credentials',
    describe:
      'C (implies O): setuid/setgid foreign binaries (sudo in an arm64 container) work, and so their interpreter runs with those rights, root included: QEMU does not check AT_SECURE, so whoever runs such a binary can steer that root emulator with QEMU_* variables (QEMU_LOG_FILENAME, QEMU_LD_PREFIX, ...) [default: off]',
  },
  'open-binary': {
    kind: 'boolean',
    key: 'openBinary',
    describe: 'O: the kernel opens the binary, so unreadable (execute-only) binaries run [default: off]',
  },
  'allow-dynamic': {
    kind: 'boolean',
    key: 'allowDynamic',
    implied: false,
    describe: 'allow F with a dynamically linked interpreter (breaks in chroots)',
  },
  'include-native': {
    kind: 'boolean',
    key: 'includeNative',
    implied: false,
    describe: "allow platforms of the host's own family (e.g. arm on aarch64)",
  },
  'host-runs-32bit': {
    kind: 'boolean',
    key: 'hostRuns32',
    implied: false,
    describe:
      "whether the target kernel runs the 32-bit programs of its family (x86 on x86_64, arm on aarch64); without it: this kernel's answer for enable, run and watch, QEMU's family rule for export and persist --root",
  },
  mount: { kind: 'boolean', key: 'mount', describe: 'mount binfmt_misc if it is not mounted (it is never unmounted)' },
  force: { kind: 'boolean', key: 'force', describe: 'replace a same-named entry that differs' },
  preferences: {
    kind: 'string',
    key: 'preferencesFile',
    path: 'file',
    describe:
      'which emulator each platform should have, first to last, one line each ("x86_64: rosetta, qemu"; qemu is qemu-binfmt\'s) [default: /etc/qemu-binfmt/preferences, when there is one]',
  },
  'take-over': {
    kind: 'boolean',
    key: 'takeOver',
    describe:
      "register QEMU even where another tool's entry serves the platform (Rosetta, FEX, box64): ours, registered last, wins; the other stays [default: leave the platform to it]",
  },
  'dry-run': { kind: 'boolean', key: 'dryRun', describe: 'print the exact lines and checks; write nothing' },
  chroot: {
    kind: 'strings',
    key: 'chroots',
    path: 'dir',
    describe: 'bind each interpreter (and, if dynamic, its libraries) read-only into this chroot at the same path; repeatable',
  },
  verify: { kind: 'boolean', key: 'verify', describe: "run each platform's probe through the kernel afterwards (qemu-binfmt test)" },
  'allow-private': {
    kind: 'boolean',
    key: 'allowPrivate',
    describe: `with ${INSTALLER_ENV}=1 (the container image): register even in a user namespace of its own, where the table is private to the container`,
  },
  json: { kind: 'boolean', key: 'json', describe: 'print one JSON document (docs/json.md)' },
  root: {
    kind: 'string',
    key: 'root',
    path: 'dir',
    describe: 'an offline image tree to work in; nothing is registered or removed in the kernel then',
  },
  via: {
    kind: 'string',
    key: 'via',
    choices: VIAS,
    describe: 'how [default: binfmt.d with systemd-binfmt, else a systemd unit, else OpenRC]',
  },
  now: { kind: 'boolean', key: 'now', default: true, describe: 'also act on the kernel now (--no-now: only the files)' },
  format: { kind: 'string', key: 'format', choices: EXPORT_FORMATS, demand: true, describe: 'what to write' },
  output: { kind: 'string', key: 'output', path: 'new-dir', describe: 'write the files into this directory (default: print them)' },
  markdown: { kind: 'boolean', key: 'markdown', describe: 'print the table as Markdown (as in docs/platforms.md)' },
  write: {
    kind: 'string',
    key: 'write',
    path: 'new-file',
    valueOptional: true,
    describe: `nix: add or update a marked block in this nix.conf, leaving the rest as it is [default: ${DEFAULT_NIX_CONF}]`,
  },
  rootfs: {
    kind: 'string',
    key: 'rootfs',
    path: 'dir',
    describe:
      'run the command chrooted into this foreign root filesystem, with /proc, /dev, /sys, /tmp and /etc/resolv.conf [default command: its /bin/sh]',
  },
  bind: { kind: 'strings', key: 'binds', describe: 'bind SRC (at DST inside the root filesystem) as well: SRC[:DST]; repeatable' },
  map: {
    kind: 'string',
    key: 'map',
    choices: UID_MAPS,
    describe: 'root: you are root inside; auto: also your /etc/subuid and /etc/subgid ranges as 1..65535 (newuidmap) [default: root]',
  },
  interval: { kind: 'string', key: 'interval', describe: 'seconds between checks [default: 10]' },
  'platforms-file': {
    kind: 'string',
    key: 'platformsFile',
    path: 'file',
    describe: 'read the platform names from this file (white space separated, # comments), again on SIGHUP',
  },
  check: {
    kind: 'boolean',
    key: 'check',
    describe: 'exit 0 only if every named platform is registered, enabled and identical to what enable would write',
  },
  probe: { kind: 'boolean', key: 'probe', describe: "with --check: also run each platform's probe through the kernel" },
  deep: {
    kind: 'boolean',
    key: 'deep',
    describe:
      'also run the deep probe (aarch64, arm, riscv64, s390x, ppc64le): openat2, statx, clone3, a thread, getrandom and faccessat2, each judged by what a user would see; a call that breaks programs fails the platform',
  },
  lock: {
    kind: 'string',
    key: 'lock',
    path: 'file',
    describe: 'with --check: also exit 1 when a registered interpreter differs from this lock file (qemu-binfmt lock)',
  },
  provenance: {
    kind: 'boolean',
    key: 'provenance',
    describe: "each registered entry's interpreter: QEMU version, static or not, size, SHA-256, owning package (reads and hashes them)",
  },
} as const satisfies Record<string, OptionDef>;

export type OptionName = keyof typeof OPTIONS;

/** The word --help and the man page show for an option's value. */
export function placeholder(def: OptionDef): string {
  return def.choices ? def.choices.join('|') : def.path === 'file' || def.path === 'new-file' ? 'FILE' : def.path ? 'DIR' : 'VALUE';
}

/** The options every command takes (global in the table), by name. */
export const GLOBAL_OPTIONS = (Object.entries(OPTIONS) as Array<[OptionName, OptionDef]>).filter(([, def]) => def.global);

/** The definition of an option named by a word of the command line, if there is one. */
export function optionDef(name: string): OptionDef | undefined {
  return Object.hasOwn(OPTIONS, name) ? OPTIONS[name as OptionName] : undefined;
}
type Def<N extends OptionName> = (typeof OPTIONS)[N];

type ValueOf<D> = D extends { kind: 'boolean' }
  ? boolean
  : D extends { kind: 'strings' }
    ? string[]
    : D extends { choices: ReadonlyArray<infer C> }
      ? C
      : string;

/** The library options that a set of command-line options gives. */
export type OptionValues<N extends OptionName> = { -readonly [K in N as Def<K>['key']]?: ValueOf<Def<K>> };

/** The options enable, export and persist share: interpreter discovery and flags. */
export const PLAN_OPTIONS = [
  'interpreter',
  'interpreter-dir',
  'fix-binary',
  'preserve-argv0',
  'credentials',
  'open-binary',
  'allow-dynamic',
  'include-native',
  'host-runs-32bit',
] as const satisfies readonly OptionName[];

export type PlanOptionValues = OptionValues<(typeof PLAN_OPTIONS)[number]>;

/** The options enable and watch share: the plan's, and how and where to register. */
export const REGISTER_OPTIONS = [
  ...PLAN_OPTIONS,
  'binfmt-dir',
  'mount',
  'force',
  'take-over',
  'preferences',
  'chroot',
  'verify',
  'allow-private',
] as const satisfies readonly OptionName[];
