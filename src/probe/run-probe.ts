import { CONDITIONS } from '../conditions.js';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry } from '../codec/entry.js';
import { run } from '../exec.js';
import { isExecutableFile } from '../fs/files.js';
import type { Platform } from '../table/platforms.js';
import { matches, sameRule } from '../table/rule.js';
import { deepProbe, hasDeepProbe, type DeepResult } from './deep-probe.js';
import { probeElf, probeRecord, PROBES } from './probe-elf.js';

type ProbeOutcome =
  | 'pass'
  | 'not-registered'
  | 'disabled'
  | 'interpreter-missing'
  | 'exec-format-error'
  | 'claimed-by-other'
  | 'crashed'
  | 'wrong-output'
  | 'system-calls-fail'
  | 'no-probe';

/** A probe that ran and did not pass (one without a probe is untested, not failed). */
export const probeFailed = (r: Pick<ProbeResult, 'outcome'>): boolean => r.outcome !== 'pass' && r.outcome !== 'no-probe';

export interface ProbeResult {
  platform: string;
  entry: string;
  outcome: ProbeOutcome;
  /** The exact reason, in words. */
  detail: string;
  /** Other enabled entries whose rule matches the probe (the newest registered one wins). */
  claimedBy?: string[];
  /** The probe's size in bytes. */
  size?: number;
  /** test --deep: each system call of the deep probe, as the emulator answered it. */
  deep?: DeepResult;
}

/**
 * Runs one platform's probe through the kernel: written to a file in dir and executed, so the
 * registered entry, its mask and its interpreter are all exercised; the outcome says why not.
 */
export async function probeOne(
  platform: Platform,
  entries: readonly Entry[],
  kernelOn: boolean,
  dir: string,
  deep = false,
): Promise<ProbeResult> {
  const result = await probeStart(platform, entries, kernelOn, dir);
  if (!deep || result.outcome !== 'pass') return result;
  if (!hasDeepProbe(platform)) return { ...result, detail: `${result.detail}; no deep probe for ${platform.name}` };
  const found = await deepProbe(platform, dir);
  const failing = found.calls.filter((c) => c.fails);
  const lacking = found.calls.filter((c) => !c.fails && c.result !== 'ok');
  if (failing.length || found.died)
    return {
      ...result,
      outcome: 'system-calls-fail',
      detail: `${[...failing.map((c) => `${c.call} ${c.result}`), ...(found.died ? [`the deep probe ended: ${found.died}`] : [])].join(', ')}`,
      deep: found,
    };
  const working = found.calls.filter((c) => c.result === 'ok').map((c) => c.call);
  const detail = [`passed; ${working.join(', ')} work`, ...lacking.map((c) => `${c.call} ${c.result}: ${c.consequence ?? ''}`)].join('; ');
  return { ...result, detail, deep: found };
}

/** The start of a program: the small probe, written and executed through the kernel. */
async function probeStart(platform: Platform, entries: readonly Entry[], kernelOn: boolean, dir: string): Promise<ProbeResult> {
  const base = { platform: platform.name, entry: platform.entryName };
  const say = (outcome: ProbeOutcome, detail: string, extra: Partial<ProbeResult> = {}): ProbeResult => ({
    ...base,
    outcome,
    detail,
    ...extra,
  });
  const record = probeRecord(platform);
  if (!record)
    return say(
      'no-probe',
      `no probe for ${platform.name}: ${(PROBES.probes[platform.name] as { missing?: string })?.missing ?? 'none recorded'}`,
    );
  const elf = probeElf(platform, record);
  const size = elf.length;
  const ours = entries.find((e) => e.name === platform.entryName);
  if (!ours) return say('not-registered', CONDITIONS.NOT_REGISTERED(platform.entryName, platform.name).problem, { size });
  if (!kernelOn) return say('disabled', CONDITIONS.SWITCHED_OFF(dir).problem, { size });
  if (!ours.enabled) return say('disabled', CONDITIONS.ENTRY_DISABLED(platform.entryName, platform.name).problem, { size });
  const claimedBy = entries.filter((e) => e !== ours && e.enabled && e.rule && matches(e.rule, elf)).map((e) => e.name);
  const oursMatches = ours.rule !== undefined && matches(ours.rule, elf);
  if (!oursMatches) {
    if (claimedBy.length)
      return say('claimed-by-other', `claimed by ${claimedBy.join(', ')}: ${platform.entryName}'s rule does not match the probe`, {
        size,
        claimedBy,
      });
    const why = ours.rule && !sameRule(ours.rule, platform.rule) ? "its magic/mask are not this table's" : 'its rule does not match';
    return say('exec-format-error', `Exec format error: ${platform.entryName} does not match a ${platform.name} executable (${why})`, {
      size,
    });
  }
  if (!ours.flags.fixBinary && !isExecutableFile(ours.interpreter)) {
    return say('interpreter-missing', `the interpreter ${ours.interpreter} is missing (and the entry has no F)`, { size });
  }
  return execute(say, ours.interpreter, platform, elf, dir, claimedBy);
}

type Say = (outcome: ProbeOutcome, detail: string, extra?: Partial<ProbeResult>) => ProbeResult;

/** Writes the probe where the kernel can execute it, executes it, and tells what happened. */
async function execute(
  say: Say,
  interpreter: string,
  platform: Platform,
  elf: Uint8Array,
  dir: string,
  claimedBy: string[],
): Promise<ProbeResult> {
  const size = elf.length;
  const file = join(dir, platform.entryName);
  writeFileSync(file, elf);
  chmodSync(file, 0o755);
  const result = await run(file, [], 10_000);
  rmSync(file, { force: true });
  const others = claimedBy.length ? { claimedBy } : {};
  if (result.exitCode === 0 && result.stdout === PROBES.message.trimEnd()) {
    return say('pass', claimedBy.length ? `passed (also matched by ${claimedBy.join(', ')})` : 'passed', { size, ...others });
  }
  // execvp runs a file the kernel refused (ENOEXEC) with /bin/sh, which then fails on it.
  if ((result.exitCode === 126 || result.exitCode === 127) && result.stderr.startsWith(`${file}:`)) {
    return say('exec-format-error', `Exec format error: the kernel did not run the probe (${result.stderr.split('\n')[0]})`, { size });
  }
  const got = result.timedOut
    ? 'timed out'
    : result.signal
      ? `killed by ${result.signal}`
      : result.exitCode === undefined
        ? `it could not be started: ${result.stderr || 'unknown error'}`
        : `exit ${result.exitCode}, output ${JSON.stringify(result.stdout)}`;
  if (claimedBy.length)
    return say('claimed-by-other', `claimed by ${claimedBy.join(', ')} (newer, matched first): ${got}`, { size, claimedBy });
  if (result.signal || result.timedOut) return say('crashed', `the interpreter ${interpreter} crashed: ${got}`, { size });
  return say('wrong-output', `expected ${JSON.stringify(PROBES.message)}, got ${got}`, { size });
}
