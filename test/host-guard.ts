import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATORS, QEMU_10 } from './helpers/paths.js';

/**
 * Root hooks: the host's binfmt_misc must read the same after the whole suite as before it,
 * and no Node warning may be emitted while the tests run. The emulators every test finds by
 * default (first on PATH) are Debian 13's QEMU 10, unpacked by scripts/setup.sh; a test that
 * needs an old one names Debian 12's 7.2 (/usr/bin) itself.
 */
const HOST = '/proc/sys/fs/binfmt_misc';

async function snapshot(): Promise<string> {
  try {
    const names = (await readdir(HOST)).filter((n) => n !== 'register').sort();
    const files = await Promise.all(names.map(async (n) => `${n}:\n${await readFile(join(HOST, n), 'utf8').catch((e) => String(e))}`));
    return files.join('\n');
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}

let before = '';
const warnings: string[] = [];
/** The interpreter version cache of every CLI and library call in the tests: never the machine's own. */
let cache = '';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    cache = await mkdtemp(join(tmpdir(), 'qemu-binfmt-cache-'));
    process.env.QEMU_BINFMT_CACHE_DIR = cache;
    if (EMULATORS === QEMU_10) process.env.PATH = `${QEMU_10}:${process.env.PATH ?? ''}`;
    else if (process.env.CI === 'true') throw new Error(`${QEMU_10} is missing: run scripts/setup.sh (make test does)`);
    else console.log(`      note: ${QEMU_10} is missing (scripts/setup.sh): the tests use this host's own emulators`);
    before = await snapshot();
    process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
  },
  async afterAll(): Promise<void> {
    await rm(cache, { recursive: true, force: true });
    const after = await snapshot();
    if (after !== before) throw new Error(`the host's ${HOST} changed during the tests:\nbefore:\n${before}\nafter:\n${after}`);
    if (warnings.length) throw new Error(`Node warnings during the tests:\n${warnings.join('\n')}`);
  },
};
