#!/usr/bin/env node
// The installed qemu-binfmt command (package.json bin): runs dist/cli.cjs with the V8 code cache
// that npm's postinstall made (code-cache.ts), when there is one that may be trusted; else plain.
import { closeSync, fstatSync, openSync, readFileSync, statSync, constants, type Stats } from 'node:fs';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { loadBundle } from './bundle.js';

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
void bundle.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
