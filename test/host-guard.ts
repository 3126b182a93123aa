import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Root hooks: the host's binfmt_misc must read the same after the whole suite as before it,
 * and no Node warning may be emitted while the tests run.
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
