import type { Condition } from '../conditions.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuBinfmtError } from '../errors.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { probeFailed, probeOne, type ProbeResult } from '../probe/run-probe.js';
import { isAll, PLATFORMS, resolvePlatforms } from '../table/platforms.js';

export interface ProbeReport {
  ok: boolean;
  results: ProbeResult[];
  conditions: Condition[];
}

/**
 * Runs each platform's probe through the kernel, in a private temporary directory.
 * all (or no name): every platform with a registered qemu-<platform> entry.
 */
/** A private directory for the probe files, in TMPDIR. */
function probeDir(): string {
  try {
    return mkdtempSync(join(tmpdir(), 'qemu-binfmt-probe-'));
  } catch (err) {
    throw new QemuBinfmtError('IO', `cannot make a directory for the probes in ${tmpdir()}`, {
      path: tmpdir(),
      cause: err,
      hint: 'set TMPDIR to a writable directory that exists',
    });
  }
}

export interface TestOptions extends TableOptions {
  /** Also run the deep probe: the system calls current userlands need (platforms/deep). */
  deep?: boolean;
}

export async function testPlatforms(names: readonly string[], options: TestOptions = {}): Promise<ProbeReport> {
  const all = names.length === 0 || isAll(names);
  const platforms = all ? [...PLATFORMS] : resolvePlatforms(names);
  // Read-only: binfmt_misc is mounted only when asked (the container image's installer mode).
  const access = await accessTable({ mount: false, ...options });
  const entries = access.table.list();
  const kernelOn = access.table.kernelEnabled();
  const chosen = all ? platforms.filter((p) => entries.some((e) => e.name === p.entryName)) : platforms;
  const dir = probeDir();
  try {
    const results = await Promise.all(chosen.map((p) => probeOne(p, entries, kernelOn, dir, options.deep)));
    // A platform without a probe is untested, not failed.
    return { ok: !results.some(probeFailed), results, conditions: access.conditions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
