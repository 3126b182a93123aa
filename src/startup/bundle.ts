import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import type { main as Main } from '../cli.js';

/** What dist/cli.cjs (the CommonJS bundle of cli.ts) exports. */
export interface CliBundle {
  main: typeof Main;
}

/**
 * Compiles and runs dist/cli.cjs the way CommonJS would, but through a vm.Script, which takes
 * V8's code cache: with cachedData from an earlier compile nothing is parsed or compiled again.
 * V8 refuses a cache of another V8 version, other flags or another source length (the script
 * is then compiled as usual). The installed command (bin.ts) and the cache's maker
 * (code-cache.ts) both compile through here, so the cache is made from exactly this source.
 */
export function loadBundle(file: string, cachedData?: Buffer): { script: Script; bundle: CliBundle } {
  const text = readFileSync(file, 'utf8');
  // The bundle's #! line would not parse inside the wrapper; a comment keeps its length.
  const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} as CliBundle };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname(file));
  return { script, bundle: module.exports };
}
