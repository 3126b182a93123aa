// The V8 code cache of dist/cli.cjs, made by the installed command (bin.ts) in a run that found
// none, for the Node.js that runs it: written beside the bundle only when the package is the
// caller's own and no one else may write there, so that it is as trustworthy as the bundle.
// It never fails the command: without a cache the command only starts slower.
import { closeSync, constants, fchmodSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DebugLogger } from 'node:util';
import type { Script } from 'node:vm';
import { MemoryBinfmtTable } from '../kernel/memory-table.js';
import type { CliBundle } from './bundle.js';

/**
 * The common commands, run once against an in-memory table with output dropped, so that the
 * functions they call are compiled and go into the cache too (V8 compiles a function only when
 * it is first called). Nothing is written to any binfmt_misc table.
 */
async function warmUp({ main }: CliBundle): Promise<void> {
  const io = { stdout: () => undefined, stderr: () => undefined };
  const table = new MemoryBinfmtTable({ interpreterExists: () => true });
  for (const args of [
    ['--version'],
    ['platforms'],
    ['platforms', '--json'],
    ['enable', 'aarch64', '--json'],
    ['enable', 'aarch64'],
    ['status', 'aarch64'],
    ['status', '--check', 'aarch64'],
    ['disable', 'aarch64', '--json'],
    ['disable', 'aarch64'],
    ['enable'],
    ['enable', 'no-such-platform'],
  ])
    await main(args, io, { table });
}

/** Why the caller may not write the cache beside the bundle; undefined when it may. */
function notOurs(bundleFile: string): string | undefined {
  const uid = process.geteuid?.();
  for (const path of [bundleFile, dirname(bundleFile)]) {
    const st = statSync(path);
    if (st.uid !== uid) return `${path} belongs to uid ${st.uid}, not to this user`;
    if (st.mode & 0o022) return `${path} can be written by group or others`;
  }
  return undefined;
}

export async function saveCodeCache(bundleFile: string, script: Script, bundle: CliBundle, log: DebugLogger): Promise<void> {
  const cacheFile = `${bundleFile}.cache`;
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const why = notOurs(bundleFile);
    if (why) return void log('no code cache made: %s', why);
    await warmUp(bundle);
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      fchmodSync(fd, 0o644);
      writeSync(fd, script.createCachedData());
    } finally {
      closeSync(fd);
    }
    renameSync(temp, cacheFile);
    log('code cache made: %s', cacheFile);
  } catch (err) {
    rmSync(temp, { force: true });
    log('no code cache made: %s', (err as Error).message);
  }
}
