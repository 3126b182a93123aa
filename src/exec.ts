/** The one door to subprocesses; execa is loaded only when a command actually needs one. */
export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export async function run(file: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}
