import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlagString } from '../../src/codec/flags.js';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { VersionCache } from '../../src/plan/version-cache.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';
import { writeFakeQemu } from './fake-qemu.js';

/**
 * A directory of stand-in interpreters for unit tests: a stand-in emulator (static-pie, QEMU
 * 10.0.13, no known problem) named qemu-<binary>-static for every platform. Planning reads only
 * their headers, and finds their version in the cache, so none is ever run.
 */
export async function fakeInterpreterDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-fake-'));
  // Their QEMU version is known, as after a first run: P is decided without reading them again.
  const cache = new VersionCache();
  for (const binary of new Set(PLATFORMS.map((p) => p.binary))) {
    const path = await writeFakeQemu(join(dir, `${binary}-static`), binary.replace(/^qemu-/, ''), FAKE_VERSION);
    cache.set(path, FAKE_VERSION);
  }
  cache.save();
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The QEMU version the stand-in emulators carry: current, with no known problem. */
const FAKE_VERSION = '10.0.13';

/** A register line of another tool: python's bytecode magic, no mask. */
export const PYTHON_LINE = ':python3.11:M::\\xa7\\x0d\\x0d\\x0a::/usr/bin/python3.11:\n';

/** A register line with a platform's rule, under any name, interpreter and flags: another tool's entry, say. */
export function lineFor(platform: string, name: string, interpreter: string, flags = ''): string {
  return formatRegisterLine({ name, rule: findPlatform(platform)!.rule, interpreter, flags: parseFlagString(flags)! });
}
