import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Entry } from '../codec/entry.js';
import { run, type RunResult } from '../exec.js';
import { isExecutableFile } from '../fs/files.js';

/** Which of several enabled entries that all match a file the kernel uses, and how that was found out. */
export interface Winner {
  /** Undefined when it could not be told apart. */
  entry: Entry | undefined;
  how: string;
  /** The QEMU target that answered (`aarch64` from `qemu-aarch64 version ...`), when a QEMU did. */
  target?: string;
}

/** QEMU's user-mode emulators print their banner and exit, before reading any program, when QEMU_VERSION is set. */
const ASK = { QEMU_VERSION: '1' };
const BANNER = /^qemu-(\S+) version /;

const firstLine = (text: string) => text.split('\n')[0] ?? '';

/**
 * The kernel tries the newest registered entry first, and userspace cannot read that order.
 * So a private copy of only the file's first bytes (as many as the rules look at, under the
 * file's own name for extension entries) is executed with QEMU_VERSION set: the kernel hands it
 * to the winning entry's interpreter, a QEMU answers with its banner before loading anything,
 * and any other handler gets too few bytes to run code. The answer is compared with each
 * candidate interpreter's own banner. Nothing of the file's code runs.
 */
export async function decideWinner(file: string, head: Uint8Array, candidates: readonly Entry[]): Promise<Winner> {
  const banners = await bannersOf(candidates);
  const executed = await executeHead(file, head, candidates);
  if (!('answer' in executed)) return executed;
  const { answer, copy, length } = executed;
  const how = `decided by executing a ${length}-byte copy of the file's head with QEMU_VERSION=1`;
  const line = firstLine(answer.stdout);
  const pick = (entry: Entry | undefined, said: string): Winner => {
    const target = BANNER.exec(line)?.[1];
    return { entry, how: `${how}: ${said}`, ...(target ? { target } : {}) };
  };
  if (answer.errno === 'ENOENT') {
    const missing = candidates.filter((e) => !e.flags.fixBinary && !isExecutableFile(e.interpreter));
    return missing.length === 1
      ? pick(missing[0], `the kernel could not find ${missing[0]!.interpreter}, which only ${missing[0]!.name} names`)
      : pick(undefined, `the kernel answered ENOENT, and ${missing.map((e) => e.name).join(', ') || 'no entry'} has a missing interpreter`);
  }
  if (answer.errno) return pick(undefined, `the copy could not be executed (${answer.errno}; is ${tmpdir()} mounted noexec?)`);
  // execvp ran the copy with /bin/sh: the kernel handed it to no entry.
  if ((answer.exitCode === 126 || answer.exitCode === 127) && answer.stderr.includes(copy))
    return pick(undefined, 'the kernel handed it to no entry (an entry changed meanwhile, or a bpf entry declined it)');
  if (BANNER.test(line)) return byBanner(line, candidates, banners, pick);
  const silent = candidates.filter((_, i) => banners[i] === undefined);
  if (silent.length === 1)
    return pick(silent[0], `no QEMU answered, and ${silent[0]!.name} is the only entry whose interpreter is not a QEMU`);
  return pick(undefined, `the answer (${JSON.stringify(line || firstLine(answer.stderr))}) names none of them alone`);
}

/** What each candidate's interpreter says it is, asked directly: only QEMUs are asked, other handlers' programs are not run. */
function bannersOf(candidates: readonly Entry[]): Promise<Array<string | undefined>> {
  return Promise.all(
    candidates.map(async (e) => {
      if (!basename(e.interpreter).startsWith('qemu-') || !isExecutableFile(e.interpreter)) return undefined;
      const r = await run(e.interpreter, [], 5_000, ASK);
      const line = firstLine(r.stdout);
      return r.exitCode === 0 && BANNER.test(line) ? line : undefined;
    }),
  );
}

/** A private copy of only the bits the rules look at, executed: what answered, or why it could not be made. */
async function executeHead(
  file: string,
  head: Uint8Array,
  candidates: readonly Entry[],
): Promise<{ answer: RunResult; copy: string; length: number } | Winner> {
  const length = Math.max(1, ...candidates.map((e) => (e.rule ? e.rule.offset + e.rule.magic.length : 0)));
  // Nothing of the file's own content is in the copy, so even a shell that runs it (execvp's retry
  // when no entry takes it) finds nothing to do.
  const covered = new Uint8Array(length);
  for (const e of candidates)
    e.rule?.mask.forEach((m, i) => {
      covered[e.rule!.offset + i]! |= m;
    });
  const bytes = head.subarray(0, length).map((b, i) => b & covered[i]!);
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'qemu-binfmt-explain-'));
  } catch (err) {
    return { entry: undefined, how: `no private copy could be made in ${tmpdir()} (${String(err)})` };
  }
  const copy = join(dir, basename(file));
  try {
    writeFileSync(copy, bytes);
    chmodSync(copy, 0o700);
    return { answer: await run(copy, [], 5_000, ASK), copy, length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A QEMU answered with its banner: the entry whose interpreter says the same, or runs the same emulator. */
function byBanner(
  line: string,
  candidates: readonly Entry[],
  banners: ReadonlyArray<string | undefined>,
  pick: (entry: Entry | undefined, said: string) => Winner,
): Winner {
  const target = BANNER.exec(line)?.[1];
  const same = candidates.filter((_, i) => banners[i] === line);
  if (same.length === 1) return pick(same[0], `${JSON.stringify(line)} answered, the banner of ${same[0]!.interpreter} alone`);
  // Another build of the same emulator (with F the kernel keeps the file it opened, even after an upgrade).
  const ofTarget = same.length ? same : candidates.filter((_, i) => BANNER.exec(banners[i] ?? '')?.[1] === target);
  if (ofTarget.length === 1)
    return pick(ofTarget[0], `${JSON.stringify(line)} answered: qemu-${target}, which only ${ofTarget[0]!.name} runs`);
  return pick(
    undefined,
    ofTarget.length
      ? `${JSON.stringify(line)} answered, as ${ofTarget.map((e) => e.interpreter).join(' and ')} would: the same emulator runs it either way`
      : `${JSON.stringify(line)} answered, which none of their interpreters printed when asked`,
  );
}
