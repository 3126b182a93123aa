import { copyFileSync, chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import deep from '../../platforms/deep/calls.json' with { type: 'json' };
import { run } from '../exec.js';
import { QEMU_FACTS } from '../plan/qemu-facts.js';
import type { Platform } from '../table/platforms.js';

/** One system call of the deep probe, as platforms/deep/calls.json describes it. */
interface DeepCall {
  call: string;
  /** Its failure fails the platform (clone3's does not: glibc falls back to clone). */
  fails: boolean;
  consequence: string;
  /** The known problem (platforms/qemu-facts.json) that explains its failure. */
  fact?: string;
}

export const DEEP_PLATFORMS: readonly string[] = deep.platforms;
const CALLS: readonly DeepCall[] = deep.calls;

/** What one call did under the emulator: ok, or the error (ENOSYS...), and what that means. */
interface CallResult {
  call: string;
  result: string;
  /** It failed, and that fails the platform. */
  fails: boolean;
  /** What a user sees, when it did not work. */
  consequence?: string;
  /** The known problem that explains it, and its fix. */
  fact?: { code: string; fix: string };
}

export interface DeepResult {
  /** Every call in order; missing ones (the probe died on the way) say so. */
  calls: CallResult[];
  /** How the probe ended, when not normally. */
  died?: string;
}

/** The directory of the built deep probes: platforms/deep of this package, found upwards from this module. */
function probesDir(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'platforms/deep/aarch64'))) return join(dir, 'platforms/deep');
    if (dirname(dir) === dir) return undefined;
  }
}

export const hasDeepProbe = (platform: Pick<Platform, 'name'>) => DEEP_PLATFORMS.includes(platform.name);

/**
 * Runs the platform's deep probe through the kernel (copied into dir, executed as any program
 * of the platform is) and judges each line it prints.
 */
export async function deepProbe(platform: Pick<Platform, 'name' | 'entryName'>, dir: string): Promise<DeepResult> {
  const probes = probesDir();
  if (!probes) return { calls: [], died: 'the deep probes are not installed with this copy of qemu-binfmt (platforms/deep)' };
  const file = join(dir, `${platform.entryName}-deep`);
  copyFileSync(join(probes, platform.name), file);
  chmodSync(file, 0o755);
  const r = await run(file, [], 20_000);
  rmSync(file, { force: true });
  const said = new Map(
    r.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter((words) => words.length === 2)
      .map(([call, result]) => [call!, result!] as const),
  );
  const calls = CALLS.map(({ call, fails, consequence, fact }): CallResult => {
    const result = said.get(call) ?? 'not reached';
    if (result === 'ok') return { call, result, fails: false };
    const known = QEMU_FACTS.find((f) => f.code === fact);
    return {
      call,
      result,
      fails: fails || result === 'not reached',
      consequence,
      ...(known ? { fact: { code: known.code, fix: known.fix } } : {}),
    };
  });
  const died = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : r.exitCode !== 0 ? `exit ${r.exitCode ?? '?'}` : undefined;
  return { calls, ...(died ? { died } : {}) };
}
