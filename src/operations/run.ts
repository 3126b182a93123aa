import { CONDITIONS } from '../conditions.js';
import { constants } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from '../boot/exporters/sh.js';
import { conditionError, QemuBinfmtError, REPORT_HINT, usageError } from '../errors.js';
import { runAttached, type AttachedResult } from '../exec.js';
import { Tree } from '../fs/tree.js';
import { kindOf } from '../fs/files.js';
import { onThisKernel, planEnable, type Plan, type PlannedTarget, type PlanOptions } from '../plan/plan.js';
import { isAll } from '../table/platforms.js';
import { checkRootless, type RootlessChecks } from '../run/checks.js';
import { EXIT_STEPS, INSIDE } from '../run/inside.js';

export interface RunOptions extends PlanOptions, RootlessChecks {
  /** A foreign root filesystem the command runs chrooted into. */
  rootfs?: string;
  /** SRC or SRC:DST, bound into the root filesystem (or over DST, which must exist, without one). */
  binds?: readonly string[];
}

export interface RunOutcome {
  /** The command's own exit code, 128 + the signal's number when a signal ended it, 1 when setting up failed. */
  exitCode: number;
  /** The platforms registered in the private table. */
  platforms: string[];
}

function parseBind(spec: string, rootfs: string | undefined): [string, string] {
  const at = spec.indexOf(':');
  const src = resolve(at < 0 ? spec : spec.slice(0, at));
  const dst = at < 0 ? src : spec.slice(at + 1);
  if (!kindOf(src)) throw usageError(`--bind ${spec}: ${src} does not exist`, 'bind an existing file or directory: --bind SRC[:DST]');
  if (!isAbsolute(dst)) throw usageError(`--bind ${spec}: ${dst} is not an absolute path`, 'give DST as an absolute path inside the root');
  if (!rootfs && !kindOf(dst)) throw usageError(`--bind ${spec}: ${dst} does not exist`, 'without --rootfs, bind over an existing path');
  return [src, dst];
}

/** The program that makes a root filesystem's mounts (run/mount-rootfs.js), beside this module as built or as bundled. */
function mounterPath(): string {
  const candidates = ['../run/mount-rootfs.js', './run/mount-rootfs.js'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((path) => kindOf(path) === 'file');
  if (!found)
    throw new QemuBinfmtError('INTERNAL', `run/mount-rootfs.js is missing beside ${fileURLToPath(import.meta.url)}`, {
      hint: REPORT_HINT,
    });
  return found;
}

/** The planned targets that work here (inside a root filesystem only a static interpreter held open with F does), and the errors of the rest. */
function usableTargets(plan: Plan, inRootfs: boolean, all: boolean): { targets: PlannedTarget[]; errors: QemuBinfmtError[] } {
  const errors = plan.missing.map((m) => m.error);
  const targets = plan.targets.filter((t) => {
    if (!inRootfs || (t.interpreter.isStatic && t.registration.flags.fixBinary)) return true;
    if (!all)
      errors.push(
        conditionError(
          'INTERPRETER_NOT_FOUND',
          CONDITIONS.NO_STATIC_EMULATOR(
            `${t.platform.name}: no static interpreter (${t.interpreter.path} is dynamically linked, or registered without F), and inside --rootfs only a static one works`,
            t.platform.name,
          ),
        ),
      );
    return false;
  });
  return { targets, errors };
}

/**
 * unshare, and inside it the sh of run/inside.ts: the private table, the root filesystem's mounts,
 * the command. The root filesystem is reached as every tree is, where owners mean something
 * (inside the namespaces they do not), and held: inside, the root filesystem opened by its path
 * must be this very directory (fd 4).
 */
async function inNamespaces(
  targets: readonly PlannedTarget[],
  rootfs: string | undefined,
  binds: ReadonlyArray<[string, string]>,
  argv: readonly string[],
  map: RunOptions['map'],
): Promise<AttachedResult> {
  const register = sh({ targets, regenerate: 'qemu-binfmt run', command: [], enableArgs: [] })[0]!.content;
  const checked = rootfs === undefined ? undefined : Tree.open(rootfs);
  try {
    return await runAttached(
      'unshare',
      [
        '--user',
        ...(map === 'auto' ? ['--map-root-user', '--map-auto'] : ['--map-root-user']),
        '--mount',
        'sh',
        '-c',
        INSIDE,
        'qemu-binfmt-run',
        register,
        rootfs ?? '',
        process.cwd(),
        process.execPath,
        rootfs ? mounterPath() : '',
        String(binds.length),
        ...binds.flat(),
        '--',
        ...argv,
      ],
      checked ? [checked.descriptor] : [],
    );
  } finally {
    checked?.close();
  }
}

/** Which step inside the namespaces failed (the message above says how), and what to do about that step. */
const STEP_FAILURES: Record<number, [string, string]> = {
  [EXIT_STEPS.binfmt]: [
    'a private binfmt_misc instance could not be mounted in the new namespaces (see the message above)',
    'binfmt_misc in a user namespace needs Linux >= 6.7; qemu-binfmt doctor tells what this kernel allows',
  ],
  [EXIT_STEPS.register]: [
    'registering in the private table failed (see the message above)',
    'qemu-binfmt test tells which emulator does not run',
  ],
  [EXIT_STEPS.rootfs]: [
    'the root filesystem could not be prepared (see the message above, which names the path)',
    'make what it names in the root filesystem as its owner, or run this as its owner',
  ],
};

function notReady(result: AttachedResult): QemuBinfmtError {
  const step = result.exitCode === null ? undefined : STEP_FAILURES[result.exitCode];
  if (step) return new QemuBinfmtError('ROOTLESS_UNAVAILABLE', step[0], { hint: step[1] });
  return new QemuBinfmtError(
    'ROOTLESS_UNAVAILABLE',
    `the private namespaces could not be made${result.errno ? ` (${result.errno})` : ' (see the message above)'}`,
    { hint: 'qemu-binfmt doctor tells what the kernel allows; user namespaces must be allowed for this user' },
  );
}

/**
 * Runs COMMAND with QEMU registered in a private binfmt_misc table, without root: a new user
 * namespace (the caller mapped to root inside, or with --map auto also its subordinate IDs) and
 * mount namespace, a binfmt_misc instance of their own, the same plan and lines as enable, and
 * optionally a foreign root filesystem. Nothing reaches the host's table. Stdin, stdout, stderr
 * and the exit status are the command's.
 */
export async function runRootless(names: readonly string[], command: readonly string[], options: RunOptions = {}): Promise<RunOutcome> {
  const rootfs = options.rootfs === undefined ? undefined : resolve(options.rootfs);
  if (rootfs !== undefined && kindOf(rootfs) !== 'directory')
    throw usageError(`--rootfs ${options.rootfs} is not a directory`, 'name an unpacked foreign root filesystem');
  const binds = (options.binds ?? []).map((b) => parseBind(b, rootfs));
  const argv = command.length ? command : rootfs ? ['/bin/sh'] : [];
  if (!argv.length)
    throw usageError('run needs a command after --', 'qemu-binfmt run aarch64 -- ./program ARGS, or give --rootfs DIR for its /bin/sh');

  const all = names.length === 0 || isAll(names);
  const { targets, errors } = usableTargets(planEnable(all ? ['all'] : names, onThisKernel(options)), rootfs !== undefined, all);
  checkRootless(options);
  if (errors.length) {
    // A platform's further rules share its interpreter, and so its error.
    const said = [...new Set(errors.map((e) => e.describe()))];
    throw said.length === 1 ? errors[0]! : new QemuBinfmtError(errors[0]!.code, said.join('\n'));
  }
  const result = await inNamespaces(targets, rootfs, binds, argv, options.map);
  const platforms = targets.map((t) => t.platform.name);
  if (!result.ready) throw notReady(result);
  if (result.signal) return { exitCode: 128 + constants.signals[result.signal], platforms };
  return { exitCode: result.exitCode ?? 1, platforms };
}
