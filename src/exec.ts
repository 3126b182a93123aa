/** The one door to subprocesses; execa is loaded only when a command actually needs one. */
export interface RunResult {
  exitCode: number | undefined;
  /** The signal that ended it, if one did (SIGSEGV, ...). */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export async function run(file: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}
