import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';

/** What one run of the CLI did, read from strace: files opened, bytes read per file, programs started. */
export interface Work {
  exitCode: number;
  /** Successful opens, by path. */
  opens: Map<string, number>;
  /** Bytes read (read and pread64), by the path of the file descriptor. */
  bytesRead: Map<string, number>;
  /** Programs started with a successful execve, after the CLI's own node. */
  spawned: string[];
}

// One line a syscall (-ff: one file per thread, so no call is split); -yy names each fd's path.
const CALL = /^(\w+)\((.*)\) += (-?\d+)/;
const FD_PATH = /^\d+<([^>]*)>/;

/** Runs the built CLI under strace, optionally inside a namespace (prefix), and tallies its work. */
export async function measureWork(
  args: readonly string[],
  prefix: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<Work> {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-strace-'));
  try {
    const command = [
      ...prefix,
      'strace',
      '-f',
      '-ff',
      '-qq',
      '-s',
      '0',
      '-yy',
      '-e',
      'trace=open,openat,read,pread64,execve',
      '-o',
      join(dir, 't'),
      process.execPath,
      CLI,
      ...args,
    ];
    const r = await execa(command[0]!, command.slice(1), {
      reject: false,
      stdin: 'ignore',
      env: { QEMU_BINFMT_DIR: '', QEMU_BINFMT_HOST_ARCH: '', ...env },
    });
    const work: Work = { exitCode: r.exitCode ?? -1, opens: new Map(), bytesRead: new Map(), spawned: [] };
    const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);
    for (const file of await readdir(dir)) {
      const calls = (await readFile(join(dir, file), 'utf8'))
        .split('\n')
        .map((line) => CALL.exec(line))
        .filter((call): call is RegExpExecArray => call !== null && Number(call[3]) >= 0);
      const programs = calls.filter((c) => c[1] === 'execve').map((c) => /^"([^"]*)"/.exec(c[2]!)?.[1] ?? '?');
      work.spawned.push(...programs);
      // What a program the CLI started does is its own work, not the CLI's.
      if (programs.some((p) => p !== process.execPath)) continue;
      for (const call of calls) {
        const name = call[1]!;
        const callArgs = call[2]!;
        if (name === 'open' || name === 'openat') {
          const path = /"([^"]*)"/.exec(callArgs)?.[1];
          if (path) add(work.opens, path, 1);
        } else if (name !== 'execve') {
          const path = FD_PATH.exec(callArgs)?.[1];
          if (path) add(work.bytesRead, path, Number(call[3]));
        }
      }
    }
    // The CLI's own node is not spawned by it.
    const self = work.spawned.indexOf(process.execPath);
    if (self < 0) throw new Error(`strace saw no execve of ${process.execPath}: ${work.spawned.join(' ')}`);
    work.spawned.splice(self, 1);
    return work;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
