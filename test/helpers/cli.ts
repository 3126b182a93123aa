import { execa } from 'execa';
import { CLI } from './paths.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Spawns the built CLI as a process (optionally through a prefix such as nsenter). */
export async function runCli(
  args: readonly string[],
  options: { prefix?: readonly string[]; env?: Record<string, string>; cli?: string; cwd?: string } = {},
): Promise<CliResult> {
  const prefix = options.prefix ?? [];
  const command = [...prefix, process.execPath, options.cli ?? CLI, ...args];
  const result = await execa(command[0]!, command.slice(1), {
    reject: false,
    env: { QEMU_BINFMT_DIR: '', QEMU_BINFMT_HOST_ARCH: '', ...options.env },
    extendEnv: true,
    stdin: 'ignore',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}
