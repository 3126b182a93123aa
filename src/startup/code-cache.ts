// Run by npm's postinstall: makes dist/cli.cjs.cache, the V8 code cache of dist/cli.cjs for the
// Node.js that installed it, so that the installed command (bin.ts) compiles nothing at start-up.
// It never fails the install: without a cache the command only starts slower.
import { closeSync, fchmodSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBinfmtTable } from '../kernel/memory-table.js';
import { loadBundle, type CliBundle } from './bundle.js';

const bundleFile = join(__dirname, 'cli.cjs');
const cacheFile = `${bundleFile}.cache`;

/**
 * The common commands, run once against an in-memory table with output dropped, so that the
 * functions they call are compiled and go into the cache too (V8 compiles a function only when
 * it is first called). Nothing is written anywhere: no table, no version cache.
 */
async function warmUp({ main }: CliBundle): Promise<void> {
  process.env.QEMU_BINFMT_CACHE_DIR = '';
  delete process.env.QEMU_BINFMT_INSTALLER;
  const io = { stdout: () => undefined, stderr: () => undefined };
  const table = new MemoryBinfmtTable({ interpreterExists: () => true });
  for (const args of [
    ['--version'],
    ['platforms'],
    ['platforms', '--json'],
    ['enable', 'all'],
    ['status'],
    ['disable', 'all'],
    ['enable', 'all', '--json'],
    ['disable', 'all', '--json'],
    ['enable'],
    ['enable', 'no-such-platform', '--json'],
  ])
    await main(args, io, { table });
}

/** Written beside the bundle under a new name, readable by all and writable by the owner only, then renamed over the old. */
function writeCache(data: Buffer): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  const fd = openSync(temp, 'wx', 0o644);
  try {
    fchmodSync(fd, 0o644);
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, cacheFile);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

async function makeCache(): Promise<void> {
  rmSync(cacheFile, { force: true });
  const { script, bundle } = loadBundle(bundleFile);
  await warmUp(bundle);
  writeCache(script.createCachedData());
}

makeCache().catch((err: unknown) => {
  console.warn(`qemu-binfmt: no code cache made (the command starts slower): ${err instanceof Error ? err.message : String(err)}`);
});
