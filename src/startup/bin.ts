#!/usr/bin/env node
// The installed qemu-binfmt command (package.json bin): runs dist/cli.cjs with V8's code cache of
// it when there is one that may be trusted, else plain; a run that found none makes one, when
// the package is the caller's own (code-cache.ts).
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { loadBundle } from './bundle.js';
import type { saveCodeCache } from './code-cache.js';

const log = debuglog('qemu-binfmt');
const bundleFile = join(__dirname, 'cli.cjs');
const cacheFile = `${bundleFile}.cache`;

/**
 * The cache, when it is as trustworthy as the bundle itself: a regular file of the bundle's
 * owner that no one else may write, made after the bundle (an edited bundle makes it stale).
 */
function trustedCache(): Buffer | undefined {
  let fd: number | undefined;
  try {
    const bundle = statSync(bundleFile);
    fd = openSync(cacheFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    const why = untrusted(fstatSync(fd), bundle);
    if (why) return void log('code cache not used: %s', why);
    return readFileSync(fd);
  } catch (err) {
    return void log('code cache not used: %s', (err as Error).message);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function untrusted(cache: Stats, bundle: Stats): string | undefined {
  if (!cache.isFile()) return `${cacheFile} is not a regular file`;
  if (cache.uid !== bundle.uid) return `${cacheFile} belongs to uid ${cache.uid}, the bundle to uid ${bundle.uid}`;
  if (cache.mode & 0o022) return `${cacheFile} can be written by group or others`;
  if (cache.mtimeMs < bundle.mtimeMs) return `${cacheFile} is older than ${bundleFile}`;
  return undefined;
}

const cachedData = trustedCache();
const { script, bundle } = loadBundle(bundleFile, cachedData);
if (cachedData) log('code cache %s', script.cachedDataRejected ? 'rejected by V8 (another Node.js or other flags)' : 'used');
void bundle.main(process.argv.slice(2)).then(async (code) => {
  process.exitCode = code;
  if (cachedData === undefined || script.cachedDataRejected) {
    // A file of its own, loaded only here: every other run reads the cache and needs none of it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/code-cache.cjs, beside this file
    const { saveCodeCache: save } = require(join(__dirname, 'code-cache.cjs')) as { saveCodeCache: typeof saveCodeCache };
    await save(bundleFile, script, bundle, log);
  }
});
