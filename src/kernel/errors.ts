import type { BinfmtTable } from './binfmt-table.js';
import { readFileSync } from 'node:fs';
import { errnoOf, QemuBinfmtError } from '../errors.js';
import { CONDITIONS } from '../conditions.js';
import type { Registration } from '../codec/register-line.js';

/** Every error about the kernel's table, each built here once with its hint. */

const DEFAULT_DIR_HINT = 'usually /proc/sys/fs/binfmt_misc, the default';
const ROOT_HINT = 'run as root (sudo), or in a container started with --privileged (or --cap-add SYS_ADMIN)';
const ERRNO_HINTS: Record<string, string> = {
  EACCES: ROOT_HINT,
  EPERM: ROOT_HINT,
  EROFS: 'binfmt_misc is mounted read-only here; run on the host or in a privileged container',
};

/** Not mounted; `plain` when the directory has a register file but is no binfmt_misc mount. */
export function notMounted(dir: string, plain = false, cause?: QemuBinfmtError): QemuBinfmtError {
  const why = plain ? `${dir} is a plain directory, not a binfmt_misc mount, so nothing is written there` : `no ${dir}/register`;
  return new QemuBinfmtError('NOT_MOUNTED', `${CONDITIONS.NOT_MOUNTED(dir).problem} (${why})`, {
    path: dir,
    hint: plain ? `name the binfmt_misc directory (${DEFAULT_DIR_HINT})` : `add --mount, or run: mount -t binfmt_misc binfmt_misc ${dir}`,
    ...(cause ? { cause } : {}),
  });
}

/** The directory shows another binfmt_misc instance than the table's own: nothing is written to it. */
export function anotherInstance(table: BinfmtTable): QemuBinfmtError {
  const { bound, seen } = table.instances();
  return new QemuBinfmtError(
    'ANOTHER_INSTANCE',
    bound
      ? `${table.dir} now shows another binfmt_misc instance (${seen ?? 'unknown'}) than the one this run started with (${bound}), so nothing was written to it`
      : `${table.dir} shows a binfmt_misc instance that is not this user namespace's own (${seen ?? 'unknown'}): a parent namespace's, showing through; nothing was written to it`,
    {
      path: table.dir,
      hint: "its own instance was unmounted, and what is there now is not its table (the parent namespace's, say); --mount mounts this namespace's own there again",
    },
  );
}

export function mountRefused(dir: string): QemuBinfmtError {
  return new QemuBinfmtError(
    'NOT_MOUNTED',
    `refusing to mount binfmt_misc on ${dir}: it is not empty, and a mount would hide what is there`,
    {
      path: dir,
      hint: `name the binfmt_misc directory (${DEFAULT_DIR_HINT})`,
    },
  );
}

export function mountFailed(dir: string, reason: string): QemuBinfmtError {
  return new QemuBinfmtError('NOT_MOUNTED', `could not mount binfmt_misc on ${dir}: ${reason || 'mount failed'}`, {
    path: dir,
    hint: ROOT_HINT,
  });
}

/** A system error opening, reading or listing a file of the table. */
export function systemError(err: unknown, path: string, action: string): QemuBinfmtError {
  if (err instanceof QemuBinfmtError) return err;
  const errno = errnoOf(err);
  // Node's message names the path it opened (/proc/self/fd/N/NAME for a bound table): said as the table's path.
  const opened = (err as NodeJS.ErrnoException | undefined)?.path;
  const reason = (err instanceof Error ? err.message : String(err)).replaceAll(opened || path, path);
  const code = errno === 'EACCES' || errno === 'EPERM' ? 'PERMISSION' : 'IO';
  const hint = errno ? ERRNO_HINTS[errno] : undefined;
  return new QemuBinfmtError(code, `cannot ${action} ${path}: ${reason}`, {
    path,
    cause: err,
    ...(errno ? { errno } : {}),
    ...(hint ? { hint } : {}),
  });
}

/** The write itself failed: the kernel refused the text. */
export function kernelRefused(path: string, text: string, errno: string | undefined, cause?: unknown): QemuBinfmtError {
  return new QemuBinfmtError(
    'KERNEL_REJECTED',
    `the kernel refused ${JSON.stringify(text.trimEnd())} written to ${path}${errno ? ` (${errno})` : ''}`,
    {
      path,
      ...(errno ? { errno } : {}),
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** What a failed register write means for this registration. */
export function registerFailed(
  err: QemuBinfmtError,
  dir: string,
  reg: Registration,
  line: string,
  heldWithF?: () => number,
): QemuBinfmtError {
  if (err.code === 'IO' && err.errno === 'ENOENT') return notMounted(dir, false, err);
  if (err.code !== 'KERNEL_REJECTED') return err;
  if (reg.flags.fixBinary && (err.errno === 'ENOENT' || err.errno === 'EACCES')) {
    // With F the kernel opens the interpreter during the write.
    return new QemuBinfmtError(
      'INTERPRETER_NOT_FOUND',
      `the kernel could not open the interpreter ${reg.interpreter} (${err.errno}, flag F)`,
      {
        path: reg.interpreter,
        errno: err.errno,
        cause: err,
        hint:
          err.errno === 'ENOENT'
            ? 'with F the interpreter must exist when registering; install it or check the path'
            : 'the interpreter must be executable, and not on a noexec mount',
      },
    );
  }
  if (err.errno === 'ENOSPC' && reg.flags.fixBinary) return tooManyInterpreters(reg.name, heldWithF, err);
  if (err.errno === 'EINVAL') {
    return new QemuBinfmtError('KERNEL_REJECTED', `the kernel rejected the line for ${reg.name} (EINVAL): ${line.trim()}`, {
      path: `${dir}/register`,
      errno: 'EINVAL',
      cause: err,
      hint: reg.flags.fixBinary
        ? 'kernels before 4.8 do not know flag F: retry with --no-fix-binary'
        : 'the line broke a kernel rule that this tool does not know; please report it',
    });
  }
  return err;
}

/** The knob of Linux >= 7.3 that caps the interpreters a user holds open with F (per user namespace). */
const MAX_INTERPRETERS_SYSCTL = '/proc/sys/user/max_binfmt_misc_interpreters';

/** ENOSPC on an F registration (Linux >= 7.3): this user holds as many open interpreters as it may. */
function tooManyInterpreters(name: string, heldWithF: (() => number) | undefined, cause: QemuBinfmtError): QemuBinfmtError {
  let limit = 'unknown';
  try {
    limit = readFileSync(MAX_INTERPRETERS_SYSCTL, 'utf8').trim();
  } catch {
    // not this kernel's knob, or not readable
  }
  const held = heldWithF ? `; this table holds ${heldWithF()} entries with F` : '';
  return new QemuBinfmtError(
    'KERNEL_REJECTED',
    `the kernel refused ${name} (ENOSPC): this user holds as many interpreters open with F as it may (user.max_binfmt_misc_interpreters = ${limit}${held})`,
    {
      errno: 'ENOSPC',
      cause,
      hint: `raise the limit (sysctl -w user.max_binfmt_misc_interpreters=N; a nested user namespace can raise only its own, and every ancestor is charged too), remove entries with F that are not needed, or register without F (--no-fix-binary)`,
    },
  );
}

export function existsDifferent(dir: string, name: string, diffs: readonly string[]): QemuBinfmtError {
  return new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${name} exists and differs: ${diffs.join('; ')}`, {
    path: `${dir}/${name}`,
    hint: 'it was kept; add --force to replace it',
  });
}

export function registeredMeanwhile(dir: string, name: string, cause: QemuBinfmtError): QemuBinfmtError {
  return new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${name} was registered meanwhile by another process, and differs`, {
    path: `${dir}/${name}`,
    cause,
    hint: 'check it with qemu-binfmt status; add --force to replace it',
  });
}

export function cannotPutBack(dir: string, name: string): QemuBinfmtError {
  const path = `${dir}/${name}`;
  return new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${name} could not be put back if replacing it failed, so it was kept`, {
    path,
    hint: `remove it yourself (echo -1 > ${path}) and run enable again`,
  });
}

export function readBackMissing(dir: string, name: string, twice = false): QemuBinfmtError {
  const path = `${dir}/${name}`;
  return new QemuBinfmtError(
    'READBACK',
    twice
      ? `wrote ${name} to ${dir}/register twice, and both times ${path} was not there when read back: the kernel did not apply the write`
      : `wrote ${name} to ${dir}/register, but ${path} does not exist`,
    {
      path,
      hint: twice
        ? `something other than binfmt_misc's register file may be at ${dir}/register (a bind mount); check with: grep binfmt_misc /proc/self/mountinfo`
        : `${dir} may not be binfmt_misc (an autofs point not yet mounted, or a plain directory); check with: mount | grep binfmt_misc`,
    },
  );
}

export function readBackDiffers(dir: string, name: string, what: string): QemuBinfmtError {
  const path = `${dir}/${name}`;
  return new QemuBinfmtError('READBACK', `${path} reads back differently: ${what}`, {
    path,
    hint: 'another tool may have changed it at the same time; check with qemu-binfmt status',
  });
}

export function stillThere(dir: string, name: string): QemuBinfmtError {
  return new QemuBinfmtError('READBACK', `wrote -1 to ${dir}/${name}, but it is still there`, {
    path: `${dir}/${name}`,
    hint: 'another process may have registered it again; check with qemu-binfmt status',
  });
}

/** A node-style system error, for the in-memory table to fail as the kernel does. */
export function errnoError(errno: string, syscall: string, path: string): NodeJS.ErrnoException {
  const messages: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EEXIST: 'file already exists',
    EINVAL: 'invalid argument',
  };
  return Object.assign(new Error(`${errno}: ${messages[errno] ?? 'error'}, ${syscall} '${path}'`), { code: errno, syscall, path });
}
