/** The one door to subprocesses; execa is loaded only when a command actually needs one. */
export interface RunResult {
  exitCode: number | undefined;
  /** The signal that ended it, if one did (SIGSEGV, ...). */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why it could not be started at all (ENOENT, EACCES, ...). */
  errno?: string;
}

/** child_process is loaded on first use (as execa is): loading it costs every start-up a few ms. */
const childProcess = () => process.getBuiltinModule('node:child_process');

/** How long after the kill to wait for pipes that a process outside the group still holds. */
const PIPE_GRACE_MS = 500;

/**
 * Runs a program in a process group of its own. At the timeout the whole group is killed, and
 * the result does not wait for pipes that an escaped grandchild still holds open.
 */
export async function run(
  file: string,
  args: readonly string[],
  timeoutMs = 10_000,
  env: Readonly<Record<string, string>> = {},
): Promise<RunResult> {
  const { execa } = await import('execa');
  const child = execa(file, args, { reject: false, stdin: 'ignore', detached: true, cleanup: true, env });
  let timedOut = false;
  let grace: NodeJS.Timeout | undefined;
  const gone = new Promise<undefined>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
      grace = setTimeout(() => resolve(undefined), PIPE_GRACE_MS);
      grace.unref();
    }, timeoutMs);
    timer.unref();
    void child.finally(() => clearTimeout(timer));
  });
  const result = await Promise.race([child, gone]);
  if (grace) clearTimeout(grace);
  if (!result) {
    child.stdout?.destroy();
    child.stderr?.destroy();
    return { exitCode: undefined, signal: 'SIGKILL', timedOut: true, stdout: '', stderr: '' };
  }
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: timedOut || result.timedOut,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    ...(result.code ? { errno: result.code } : {}),
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs a short system tool (mount, umount) to its end with these descriptors as its 3, 4, ...:
 * /proc/self/fd/3 in it is exactly what fds[0] holds.
 */
export function runWithFds(file: string, args: readonly string[], fds: readonly number[], timeoutMs = 10_000): RunResult {
  const result = childProcess().spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe', ...fds], timeout: timeoutMs, encoding: 'utf8' });
  const errno = result.error && 'code' in result.error ? String(result.error.code) : undefined;
  return {
    exitCode: result.status ?? undefined,
    signal: result.signal ?? undefined,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    timedOut: errno === 'ETIMEDOUT',
    ...(errno ? { errno } : {}),
  };
}

/** Runs a small program to its end, synchronously (the host self-test): undefined when it exits 0, else why not. */
export function runsCleanly(file: string, args: readonly string[], timeoutMs = 5_000): string | undefined {
  const result = childProcess().spawnSync(file, args, { stdio: 'ignore', timeout: timeoutMs });
  const errno = result.error && 'code' in result.error ? String(result.error.code) : undefined;
  if (errno) return errno;
  if (result.signal) return `killed by ${result.signal}`;
  return result.status === 0 ? undefined : `exit ${result.status}`;
}

export interface AttachedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** It wrote a line to fd 3 before exiting (it got as far as its command). */
  ready: boolean;
  /** Why it could not be started. */
  errno?: string;
}

/** Signals sent to this process that are passed on. */
const PASSED_ON: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** From a terminal these reach the whole process group already; from anything else they are passed on too. */
const FROM_TERMINAL: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];

/**
 * Runs a program on this process's own stdin, stdout and stderr, in its process group (so the
 * terminal's signals and job control reach it), passing on the signals this process is sent.
 * Its fd 3 is a pipe: a line there says it is set up; fds are passed on as its 4, 5, ...
 */
export async function runAttached(file: string, args: readonly string[], fds: readonly number[] = []): Promise<AttachedResult> {
  const { spawn } = childProcess();
  const child = spawn(file, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe', ...fds] });
  let ready = false;
  child.stdio[3]?.on('data', () => (ready = true));
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of PASSED_ON) handlers.set(signal, () => child.kill(signal));
  const terminal = process.getBuiltinModule('node:tty').isatty(0);
  for (const signal of FROM_TERMINAL) handlers.set(signal, terminal ? () => undefined : () => child.kill(signal));
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await new Promise<AttachedResult>((done) => {
      child.on('error', (err: NodeJS.ErrnoException) => done({ exitCode: null, signal: null, ready: false, errno: err.code ?? 'unknown' }));
      child.on('close', (exitCode, signal) => done({ exitCode, signal, ready }));
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
