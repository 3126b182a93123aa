import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlagString } from '../../src/codec/flags.js';
import { formatRegisterLine } from '../../src/codec/register-line.js';
import { VersionCache } from '../../src/plan/version-cache.js';
import { probeElf, probeRecord } from '../../src/probe/probe-elf.js';
import { findPlatform, PLATFORMS } from '../../src/table/platforms.js';

/**
 * A directory of stand-in interpreters for unit tests: a small static ELF (a probe) named
 * qemu-<binary>-static for every platform. Planning reads only their headers, and finds their
 * version in the cache, so none is ever run.
 */
export async function fakeInterpreterDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-fake-'));
  const aarch64 = findPlatform('aarch64')!;
  const elf = probeElf(aarch64, probeRecord(aarch64)!);
  // Their QEMU version is known (7), as after a first run: P is decided without running them.
  const cache = new VersionCache();
  for (const binary of new Set(PLATFORMS.map((p) => p.binary))) {
    const path = join(dir, `${binary}-static`);
    await writeFile(path, elf);
    await chmod(path, 0o755);
    cache.set(path, '7.2.0');
  }
  cache.save();
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A register line of another tool: python's bytecode magic, no mask. */
export const PYTHON_LINE = ':python3.11:M::\\xa7\\x0d\\x0d\\x0a::/usr/bin/python3.11:\n';

/** A register line with a platform's rule, under any name, interpreter and flags: another tool's entry, say. */
export function lineFor(platform: string, name: string, interpreter: string, flags = ''): string {
  return formatRegisterLine({ name, rule: findPlatform(platform)!.rule, interpreter, flags: parseFlagString(flags)! });
}
