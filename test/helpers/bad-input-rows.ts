import { chmod, copyFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINFMT } from './private-instance.js';

/**
 * Bad input and faults, one row each: the built CLI in a private instance with another tool's
 * entry and one of ours registered. Every row must give its exit code and a message that names
 * the problem, no stack trace, and leave the table and a watched temp tree exactly as they were.
 */
export interface Row {
  args: string[];
  code: 1 | 2;
  message: RegExp;
  env?: Record<string, string>;
  stdoutFile?: string;
}

export const T = '$T'; // replaced by the watched tree
const row = (code: 1 | 2, message: RegExp, ...args: string[]): Row => ({ args, code, message });
const withEnv = (env: Record<string, string>, r: Row): Row => ({ ...r, env });

export const ROWS: Row[] = [
  // run, watch and status --check.
  row(2, /unknown platform bogus/, 'run', 'bogus', '--', '/bin/true'),
  row(2, /run needs a command after --/, 'run', 'aarch64'),
  row(2, /--bind .* does not exist/, 'run', 'aarch64', '--bind', `${T}/nothing`, '--', '/bin/true'),
  row(2, /Invalid values|map/, 'run', 'aarch64', '--map', 'bogus', '--', '/bin/true'),
  row(2, /--interval abc is not a positive number of seconds/, 'watch', 'aarch64', '--interval', 'abc'),
  row(2, /--interval 0 is not a positive number of seconds/, 'watch', 'aarch64', '--interval', '0'),
  row(2, /watch needs platforms, or --platforms-file FILE/, 'watch'),
  row(2, /unknown platform bogus/, 'watch', 'bogus'),
  row(2, /the interpreter and flag options are for status --check/, 'status', '--fix-binary'),
  row(2, /unknown platform bogus/, 'status', '--check', 'bogus'),
  row(2, /enable takes no command after --/, 'enable', 'aarch64', '--', 'x'),
  row(2, /--lock is for status --check/, 'status', '--lock', `${T}/file`),
  row(2, /--probe is for status --check/, 'status', '--probe'),
  // Platform names; all stands alone.
  row(2, /unknown platform bogus/, 'enable', 'bogus'),
  row(2, /all names every platform, so it takes no other name \(got also bogus\)/, 'enable', 'all', 'bogus'),
  row(2, /all names every platform.*x86_64/, 'enable', 'all', 'x86_64'),
  row(2, /an empty platform name/, 'enable', ''),
  row(2, /Not enough non-option arguments/, 'enable'),
  row(2, /unknown platform bogus/, 'disable', 'bogus'),
  row(2, /all names every platform/, 'disable', 'all', 'arm'),
  row(2, /unknown platform bogus/, 'status', 'bogus'),
  row(2, /all names every platform/, 'status', 'all', 'bogus'),
  row(2, /unknown platform bogus/, 'test', 'bogus'),
  row(2, /all names every platform/, 'test', 'all', 'arm'),
  row(2, /all names every platform/, 'export', 'all', 'arm', '--format', 'sh'),
  row(2, /unknown platform bogus/, 'persist', 'bogus', '--root', `${T}/dir`),
  row(2, /unknown platform bogus/, 'persist', 'bogus', '--root', `${T}/sys`),
  row(2, /unknown platform bogus/, 'unpersist', 'bogus', '--root', `${T}/dir`),
  row(2, /unknown platform bogus/, 'sandbox', 'nix', 'bogus'),
  row(2, /all names every platform/, 'sandbox', 'nix', 'all', 'arm'),
  row(2, /Invalid values:\n {2}Argument: daemon/, 'sandbox', 'bogus', 'aarch64'),
  row(2, /did you mean aarch64\?/, 'enable', 'aarch6'),
  row(2, /refusing x86_64: its rule matches this host's own/, 'enable', 'x86_64'),
  row(2, /refusing i386: the host \(x86_64\) is of the i386 family/, 'enable', 'i386'),
  row(2, /refusing x86_64/, 'enable', 'amd64', '--include-native'),
  // A single-value option given twice.
  row(2, /--interpreter was given more than once/, 'enable', 'aarch64', '--interpreter', '/a', '--interpreter', '/b'),
  row(
    2,
    /--interpreter-dir was given more than once/,
    'enable',
    'aarch64',
    '--interpreter-dir',
    `${T}/dir`,
    '--interpreter-dir',
    `${T}/dir`,
  ),
  row(2, /--binfmt-dir was given more than once/, 'enable', 'aarch64', '--binfmt-dir', BINFMT, '--binfmt-dir', BINFMT),
  row(2, /--root was given more than once/, 'persist', 'aarch64', '--root', `${T}/dir`, '--root', `${T}/dir`),
  row(2, /--format was given more than once/, 'export', 'aarch64', '--format', 'sh', '--format', 'binfmt.d'),
  row(2, /--via was given more than once/, 'persist', 'aarch64', '--via', 'unit', '--via', 'openrc', '--root', `${T}/dir`),
  row(2, /--output was given more than once/, 'export', 'aarch64', '--format', 'sh', '--output', `${T}/o`, '--output', `${T}/o`),
  row(2, /--root was given more than once/, 'status', '--root', `${T}/dir`, '--root', `${T}/dir`),
  row(2, /--write was given more than once/, 'sandbox', 'nix', 'aarch64', '--write', `${T}/a`, '--write', `${T}/b`),
  row(2, /--json is a switch/, 'status', '--json=1'),
  // An empty value never means a default or the working directory.
  row(2, /--binfmt-dir needs a value/, 'enable', 'aarch64', '--binfmt-dir', ''),
  row(2, /--binfmt-dir needs a value/, 'enable', 'aarch64', '--binfmt-dir'),
  row(2, /--binfmt-dir needs a value/, 'status', '--binfmt-dir='),
  row(2, /--chroot needs a value/, 'enable', 'aarch64', '--chroot', ''),
  row(2, /--chroot needs a value/, 'disable', 'aarch64', '--chroot', ''),
  row(2, /--root needs a value/, 'persist', 'aarch64', '--root', ''),
  row(2, /--root needs a value/, 'unpersist', '--root', ''),
  row(2, /--root needs a value/, 'status', '--root', ''),
  row(2, /--write needs a value/, 'sandbox', 'nix', 'aarch64', '--write', ''),
  row(2, /--write needs a value/, 'sandbox', 'nix', 'aarch64', '--write='),
  row(2, /--output needs a value/, 'export', 'aarch64', '--format', 'sh', '--output', ''),
  row(2, /--interpreter needs a value/, 'enable', 'aarch64', '--interpreter', ''),
  row(2, /--interpreter-dir needs a value/, 'enable', 'aarch64', '--interpreter-dir', ''),
  row(2, /Invalid values:\n {2}Argument: format/, 'export', 'aarch64', '--format', ''),
  row(2, /Invalid values:\n {2}Argument: via/, 'persist', 'aarch64', '--via', '', '--root', `${T}/dir`),
  // Switches take true or false, nothing else.
  row(2, /--dry-run is a switch, not "maybe"/, 'enable', 'aarch64', '--dry-run=maybe'),
  row(2, /--fix-binary is a switch, not "yes"/, 'enable', 'aarch64', '--fix-binary=yes'),
  row(2, /Unknown arguments: no-fix-binary/, 'enable', 'aarch64', '--no-fix-binary=1'),
  row(2, /--force is a switch/, 'enable', 'aarch64', '--force=no'),
  row(2, /--mount is a switch/, 'enable', 'aarch64', '--mount=please'),
  row(2, /--credentials implies O.*--no-open-binary contradicts it/, 'enable', 'aarch64', '--credentials', '--no-open-binary'),
  row(2, /--credentials implies O/, 'export', 'aarch64', '--format', 'sh', '--credentials', '--no-open-binary'),
  row(2, /--dry-run is a switch/, 'disable', 'aarch64', '--dry-run=maybe'),
  row(2, /--now is a switch/, 'persist', 'aarch64', '--now=later', '--root', `${T}/dir`),
  row(2, /--verify is a switch/, 'enable', 'aarch64', '--verify=x'),
  row(2, /--json is a switch/, 'status', '--json=pretty'),
  row(2, /--markdown is a switch/, 'platforms', '--markdown=yes'),
  row(2, /--dry-run is a switch/, 'enable', 'aarch64', '--dryRun=maybe'),
  row(2, /--allow-dynamic is a switch/, 'enable', 'aarch64', '--allow-dynamic=1'),
  row(2, /--preserve-argv0 is a switch/, 'enable', 'aarch64', '--preserve-argv0=on'),
  row(2, /--include-native is a switch/, 'export', 'arm', '--format', 'sh', '--include-native=always'),
  // Paths that are not what they must be.
  row(2, /--binfmt-dir \S+\/missing does not exist/, 'enable', 'aarch64', '--binfmt-dir', `${T}/missing`),
  row(2, /--binfmt-dir \S+\/file is not a directory/, 'enable', 'aarch64', '--binfmt-dir', `${T}/file`),
  row(2, /--chroot \S+\/file is not a directory/, 'enable', 'aarch64', '--chroot', `${T}/file`),
  row(2, /--chroot \S+\/missing does not exist/, 'enable', 'aarch64', '--chroot', `${T}/missing`),
  row(2, /--chroot \/ would bind the interpreter onto itself/, 'enable', 'aarch64', '--chroot', '/'),
  row(2, /--interpreter-dir \S+\/missing is not a directory/, 'enable', 'aarch64', '--interpreter-dir', `${T}/missing`),
  row(2, /--interpreter-dir \S+\/file is not a directory/, 'enable', 'aarch64', '--interpreter-dir', `${T}/file`),
  row(2, /--interpreter \S+\/missing is not an executable file/, 'enable', 'aarch64', '--interpreter', `${T}/missing`),
  row(2, /--interpreter \S+\/dir is not an executable file/, 'enable', 'aarch64', '--interpreter', `${T}/dir`),
  row(2, /--interpreter \S+\/file is not an executable file/, 'enable', 'aarch64', '--interpreter', `${T}/file`),
  row(2, /--root \S+\/missing does not exist/, 'persist', 'aarch64', '--root', `${T}/missing`),
  row(2, /--root \S+\/file is not a directory/, 'persist', 'aarch64', '--root', `${T}/file`),
  row(2, /--root \S+\/missing does not exist/, 'unpersist', '--root', `${T}/missing`),
  row(2, /--root \S+\/file is not a directory/, 'status', '--root', `${T}/file`),
  row(2, /--output \S+\/file exists and is not a directory/, 'export', 'aarch64', '--format', 'sh', '--output', `${T}/file`),
  row(
    2,
    /qemu-aarch64\.conf exists and is not a file, so nothing was written/,
    'export',
    'aarch64',
    '--format',
    'binfmt.d',
    '--output',
    `${T}/blocked`,
  ),
  row(2, /--output \S+\/file\/sub cannot be made/, 'export', 'aarch64', '--format', 'sh', '--output', `${T}/file/sub`),
  row(2, /--write \S+\/dir exists and is not a file/, 'sandbox', 'nix', 'aarch64', '--write', `${T}/dir`),
  row(2, /--write \S+\/file\/x cannot be made/, 'sandbox', 'nix', 'aarch64', '--write', `${T}/file/x`),
  row(2, /--chroot \S+\/missing does not exist/, 'enable', 'aarch64', '--chroot', `${T}/dir`, '--chroot', `${T}/missing`),
  row(2, /--chroot \S+\/missing does not exist/, 'disable', 'aarch64', '--chroot', `${T}/missing`),
  row(
    2,
    /--interpreter-dir \/opt\/none is not a directory under \S+\/sys/,
    'persist',
    'aarch64',
    '--root',
    `${T}/sys`,
    '--interpreter-dir',
    '/opt/none',
  ),
  // A directory that is not binfmt_misc is never written to.
  row(
    1,
    /not mounted at \S+\/plain \(\S+\/plain is a plain directory, not a binfmt_misc mount/,
    'enable',
    'aarch64',
    '--binfmt-dir',
    `${T}/plain`,
  ),
  row(1, /plain directory, not a binfmt_misc mount/, 'disable', 'all', '--binfmt-dir', `${T}/plain`),
  row(1, /binfmt_misc is not mounted at \S+\/plain/, 'status', '--binfmt-dir', `${T}/plain`),
  row(1, /plain directory, not a binfmt_misc mount/, 'test', 'aarch64', '--binfmt-dir', `${T}/plain`),
  row(1, /binfmt_misc is not mounted at \S+\/dir \(no \S+\/dir\/register\)/, 'enable', 'aarch64', '--binfmt-dir', `${T}/dir`),
  row(1, /plain directory, not a binfmt_misc mount/, 'sandbox', 'nix', 'aarch64', '--binfmt-dir', `${T}/plain`),
  withEnv({ QEMU_BINFMT_DIR: `${T}/plain` }, row(1, /plain directory, not a binfmt_misc mount/, 'enable', 'aarch64')),
  // The environment.
  withEnv(
    { QEMU_BINFMT_HOST_ARCH: 'bogus' },
    row(2, /QEMU_BINFMT_HOST_ARCH=bogus is not a machine name qemu-binfmt knows/, 'enable', 'aarch64'),
  ),
  withEnv({ QEMU_BINFMT_HOST_ARCH: 'bogus' }, row(2, /QEMU_BINFMT_HOST_ARCH=bogus/, 'status')),
  withEnv({ QEMU_BINFMT_HOST_ARCH: 'bogus' }, row(2, /QEMU_BINFMT_HOST_ARCH=bogus/, 'export', 'all', '--format', 'sh')),
  withEnv({ QEMU_BINFMT_HOST_ARCH: 'bogus' }, row(2, /QEMU_BINFMT_HOST_ARCH=bogus/, 'persist', 'all', '--root', `${T}/sys`)),
  withEnv({ TMPDIR: `${T}/missing` }, row(1, /cannot make a directory for the probes in \S+\/missing/, 'test', 'aarch64')),
  // Words that are no command or option.
  row(2, /"bogus" is not a command\nhint: qemu-binfmt --help lists the commands/, 'bogus'),
  row(2, /"enble" is not a command\nhint: did you mean enable\?/, 'enble', 'arm64'),
  row(2, /"statsu" is not a command\nhint: did you mean status\?/, '--binfmt-dir', T, 'statsu'),
  row(2, /enable has no option --forcee\nhint: did you mean --force\?/, 'enable', 'arm64', '--forcee'),
  row(
    2,
    /enable has no option --persist\nhint: persist is a command: qemu-binfmt persist arm64 --force\n/,
    'enable',
    'arm64',
    '--persist',
    '--force',
    '--dry-run',
  ),
  row(2, /status has no option --verify\nhint: --verify is an option of enable and watch/, 'status', '--verify'),
  row(2, /platforms has no option --bogus\nhint: qemu-binfmt platforms --help lists its options/, 'platforms', '--bogus'),
  row(2, /enable has no option --fix\nhint: did you mean --fix-binary\?/, 'enable', 'aarch64', '--fix'),
  row(2, /name a command/),
  row(2, /the interpreter and flag options are for status --check/, 'status', '--interpreter', 'x'),
  row(2, /Unknown argument: extra/, 'platforms', 'extra'),
  row(2, /Not enough non-option arguments/, 'sandbox', 'nix'),
  row(2, /Missing required argument: format/, 'export', 'aarch64'),
  row(2, /Invalid values:\n {2}Argument: via/, 'persist', 'aarch64', '--via', 'bogus', '--root', `${T}/dir`),
  row(2, /Invalid values:\n {2}Argument: format/, 'export', 'aarch64', '--format', 'bogus'),
  // Interpreters and flags.
  row(
    2,
    /--interpreter names the interpreter of one platform/,
    'enable',
    'aarch64',
    'arm',
    '--interpreter',
    '/usr/bin/qemu-aarch64-static',
  ),
  row(2, /--interpreter names the interpreter of one platform/, 'enable', 'all', '--interpreter', '/usr/bin/qemu-aarch64-static'),
  row(
    2,
    /--interpreter and --interpreter-dir exclude each other/,
    'enable',
    'aarch64',
    '--interpreter',
    '/usr/bin/qemu-aarch64-static',
    '--interpreter-dir',
    '/usr/bin',
  ),
  row(
    2,
    /is dynamically linked .* with F it fails inside chroots/,
    'enable',
    'aarch64',
    '--interpreter',
    '/usr/bin/qemu-aarch64',
    '--fix-binary',
  ),
  row(2, /is dynamically linked/, 'export', 'aarch64', '--format', 'sh', '--interpreter', '/usr/bin/qemu-aarch64', '--fix-binary'),
  row(2, /is dynamically linked/, 'persist', 'aarch64', '--root', `${T}/sys`, '--interpreter', '/usr/bin/qemu-aarch64', '--fix-binary'),
  row(
    2,
    /--interpreter \/usr\/bin\/qemu-arm is not an executable file/,
    'persist',
    'arm',
    '--root',
    `${T}/sys`,
    '--interpreter',
    '/usr/bin/qemu-arm',
  ),
  // Output that cannot be written.
  {
    ...row(1, /cannot write to standard output \(ENOSPC\)\nhint: the disk the output goes to is full/, 'platforms'),
    stdoutFile: '/dev/full',
  },
  { ...row(1, /cannot write to standard output \(ENOSPC\)/, 'status'), stdoutFile: '/dev/full' },
  { ...row(1, /cannot write to standard output \(ENOSPC\)/, '--help'), stdoutFile: '/dev/full' },
  { ...row(1, /cannot write to standard output \(ENOSPC\)/, 'export', 'aarch64', '--format', 'sh'), stdoutFile: '/dev/full' },
  // Spellings yargs would read in its own way.
  row(2, /enable has no option --force\.x/, 'enable', 'aarch64', '--force.x=no'),
  row(2, /enable has no option --credentials\.no/, 'enable', 'aarch64', '--credentials.no=1'),
  row(2, /--dry-run and --no-dry-run were both given/, 'enable', 'aarch64', '--dry-run', '--no-dry-run'),
  row(2, /--force and --no-force were both given/, 'disable', 'all', '--force=true', '--force=false'),
  row(2, /enable has no option --platforms\nhint: give the platforms as words/, 'enable', 'aarch64', '--platforms', 'arm'),
  row(2, /sandbox has no option --daemon/, 'sandbox', 'nix', 'aarch64', '--daemon=guix'),
  row(2, /--write needs a value \(it was blank\)/, 'sandbox', 'nix', 'aarch64', '--write', ' '),
  // Kernel filesystems and places that cannot be written.
  row(2, /--output \/proc\/a\/b is on a kernel filesystem/, 'export', 'arm', '--format', 'sh', '--output', '/proc/a/b'),
  row(2, /--write \/proc\/x\/nix\.conf is on a kernel filesystem/, 'sandbox', 'nix', 'arm', '--write', '/proc/x/nix.conf'),
  row(2, /--output \/sys\/kernel\/qb is on a kernel filesystem/, 'export', 'arm', '--format', 'sh', '--output', '/sys/kernel/qb'),
  row(1, /refusing to mount binfmt_misc on \S+\/plain: it is not empty/, 'enable', 'aarch64', '--binfmt-dir', `${T}/plain`, '--mount'),
  withEnv({ QEMU_BINFMT_HOST_ARCH: 'armbogus' }, row(2, /QEMU_BINFMT_HOST_ARCH=armbogus is not a machine name/, 'enable', 'arm')),
  withEnv({ QEMU_BINFMT_DIR: 'relative' }, row(2, /QEMU_BINFMT_DIR=relative is not an absolute path/, 'status')),
  withEnv({ QEMU_BINFMT_DIR: `${T}/file` }, row(2, /QEMU_BINFMT_DIR=\S+\/file is not a directory/, 'enable', 'aarch64')),
  // Names from outside are shown with control bytes escaped.
  row(2, /unknown platform \\x1b\[31mred/, 'enable', '\x1b[31mred'),
];

/**
 * The rows only the real kernel can answer: a directory that is not binfmt_misc at --binfmt-dir or
 * QEMU_BINFMT_DIR, mounting, and the probes' TMPDIR. The others run in process on the in-memory table.
 */
export function needsKernel(r: Row): boolean {
  const dirs = r.args.flatMap((a, i) => (r.args[i - 1] === '--binfmt-dir' ? [a] : []));
  return dirs.some((d) => d === `${T}/plain` || d === `${T}/dir`) || r.env?.QEMU_BINFMT_DIR !== undefined || r.env?.TMPDIR !== undefined;
}

/** The row as a test title: its environment, its words, where its output goes. */
export function rowTitle(r: Row): string {
  const env = Object.entries(r.env ?? {}).map(([k, v]) => `${k}=${v} `);
  return `${env.join('')}${r.args.map((a) => JSON.stringify(a)).join(' ')}${r.stdoutFile ? ` >${r.stdoutFile}` : ''}`;
}

/**
 * Every file under a directory with its mode, inode, size and change time (nanoseconds): a write
 * in place changes the time, a write beside and rename the inode.
 */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await stat(path, { bigint: true });
    if (st.isDirectory()) out.push(`${path}/`, ...(await tree(path)));
    else out.push(`${path} ${st.mode.toString(8)} ${st.ino} ${st.size} ${st.ctimeNs}`);
  }
  return out;
}

/** The tree the rows name as $T: a directory, a file, a blocked output, an image with systemd-binfmt, a plain fake binfmt_misc. */
export async function badInputTree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-bad-'));
  await mkdir(join(root, 'dir'));
  await writeFile(join(root, 'file'), 'a plain file\n');
  await chmod(join(root, 'file'), 0o644);
  await mkdir(join(root, 'blocked/qemu-aarch64.conf'), { recursive: true });
  // An image tree with systemd-binfmt, so that persist --root gets past finding a boot system.
  await mkdir(join(root, 'sys/usr/lib/systemd'), { recursive: true });
  await writeFile(join(root, 'sys/usr/lib/systemd/systemd-binfmt'), '');
  await mkdir(join(root, 'sys/usr/bin'));
  await copyFile('/usr/bin/qemu-aarch64', join(root, 'sys/usr/bin/qemu-aarch64'));
  await mkdir(join(root, 'plain'));
  await writeFile(join(root, 'plain/register'), '');
  await writeFile(join(root, 'plain/status'), 'enabled\n');
  await writeFile(join(root, 'plain/qemu-aarch64'), 'enabled\ninterpreter /x\nflags: \noffset 0\nmagic 7f454c46\n');
  return root;
}

/** Output that must never reach a user: a stack trace, an internal error, a terminal escape. */
export const NEVER_SHOWN = /\n\s+at |unexpected error|internal error|\x1b/;
