import type { BinfmtTable } from './binfmt-dir.js';
import { differences, overlapping } from './compare.js';
import type { Entry } from './entry.js';
import { applyToChroots, checkChrootDir } from './chroot.js';
import { asQemuBinfmtError, errnoOf, QemuBinfmtError } from './errors.js';
import { flagString } from './flags.js';
import { PLATFORMS } from './platforms.js';
import { formatRegisterLine, type Registration } from './register-line.js';
import { planEnable, type PlannedTarget, type PlanOptions } from './plan.js';
import { failed, type Report, type TargetResult } from './report.js';
import { testPlatforms } from './probe-test.js';
import { accessTable, binfmtDirOf, type TableOptions } from './table-access.js';

export interface EnableOptions extends TableOptions, PlanOptions {
  /** Replace a same-named entry that differs. */
  force?: boolean;
  /** Print the lines and checks; write nothing. */
  dryRun?: boolean;
  /** Chroot directories to bind each registered interpreter (and its runtime closure) into. */
  chroots?: readonly string[];
  /** Run each registered platform's probe through the kernel afterwards; a failing probe fails the platform. */
  verify?: boolean;
}

/** Registers each platform, attempting every one; bad input throws before anything is written. */
export async function enable(names: readonly string[], options: EnableOptions = {}): Promise<Report> {
  const chroots = (options.chroots ?? []).map(checkChrootDir);
  const plan = await planEnable(names, options);
  const dryRun = options.dryRun ?? false;
  const access = await accessTable(options, !dryRun, !dryRun);
  const notices = [...access.notices];
  if (!access.mounted) notices.push(`binfmt_misc is not mounted at ${access.table.dir}: existing entries were not checked`);
  const existing = access.mounted ? access.table.list() : [];

  const results: TargetResult[] = plan.missing.map(({ platform, error }) =>
    failed({ platform: platform.name, entry: platform.entryName }, error),
  );
  for (const target of plan.targets) {
    results.push(enableOne(access.table, target, existing, options));
  }
  results.sort((a, b) => tableIndex(a.platform) - tableIndex(b.platform));
  const registered = results.filter((r) => ['enabled', 'replaced', 'unchanged'].includes(r.outcome));
  const bound = dryRun ? [] : await applyToChroots('bind', chroots, registered.map((r) => ({ platform: r.platform, interpreter: r.interpreter! })));
  if (options.verify && !dryRun && registered.length) {
    const probes = await testPlatforms(registered.map((r) => r.platform), options);
    for (const probe of probes.results.filter((p) => p.outcome !== 'pass' && p.outcome !== 'no-probe')) {
      const r = results.find((x) => x.platform === probe.platform)!;
      Object.assign(r, failed(r, new QemuBinfmtError('PROBE_FAILED', `registered, but its probe failed: ${probe.detail}`, { hint: 'see qemu-binfmt test' }), r.warnings));
    }
  }
  return {
    command: 'enable',
    dryRun,
    binfmtDir: binfmtDirOf(options),
    ok: results.every((r) => r.outcome !== 'failed') && bound.every((c) => !c.error),
    results,
    skipped: plan.skipped,
    notices,
    ...(chroots.length ? { chroots: bound } : {}),
  };
}

const tableIndex = (name: string) => PLATFORMS.findIndex((p) => p.name === name);

function enableOne(table: BinfmtTable, target: PlannedTarget, existing: Entry[], options: EnableOptions): TargetResult {
  const { registration: reg, line } = target;
  const base = {
    platform: target.platform.name,
    entry: reg.name,
    interpreter: reg.interpreter,
    flags: flagString(reg.flags),
    line,
    checks: target.checks,
  };
  const warnings = overlapping(existing, reg).map(
    (e) => `${reg.name} overlaps entry ${e.name} (${e.interpreter}): both claim some files, and the newer entry is matched first`,
  );
  const done = (outcome: TargetResult['outcome'], detail?: string): TargetResult => ({
    ...base,
    outcome,
    ...(detail ? { detail } : {}),
    warnings,
  });
  try {
    const current = existing.find((e) => e.name === reg.name);
    if (current) {
      const diffs = differences(current, reg);
      if (diffs.length === 0 && current.enabled) return done('unchanged', 'already enabled');
      if (diffs.length === 0) {
        if (options.dryRun) return done('would-enable', 'the entry exists but is disabled; it would be enabled');
        table.control(reg.name, '1');
        readBack(table, target);
        return done('enabled', 'was disabled; enabled it');
      }
      if (!options.force) {
        throw new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${reg.name} exists and differs: ${diffs.join('; ')}`, {
          path: `${table.dir}/${reg.name}`,
          hint: 'it was kept; add --force to replace it',
        });
      }
      if (options.dryRun) return done('would-replace', `would replace: ${diffs.join('; ')}`);
      replace(table, target, current);
      return done('replaced', `replaced: ${diffs.join('; ')}`);
    }
    if (options.dryRun) return done('would-enable');
    const outcome = register(table, target);
    return done(outcome, outcome === 'unchanged' ? 'registered meanwhile by another process, identically' : undefined);
  } catch (err) {
    return failed(base, asQemuBinfmtError(err), warnings);
  }
}

/**
 * Removes the old entry and registers ours; if ours fails, the old entry is put back. An entry
 * that could not be put back (an extension entry, or a line this tool would not write) is not
 * replaced at all.
 */
function replace(table: BinfmtTable, target: PlannedTarget, old: Entry): void {
  const path = `${table.dir}/${old.name}`;
  let restore: { line: string; registration: Registration };
  try {
    if (!old.rule) throw new Error('an extension entry');
    const registration = { name: old.name, rule: old.rule, interpreter: old.interpreter, flags: old.flags };
    restore = { line: formatRegisterLine(registration), registration };
  } catch {
    throw new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${old.name} could not be put back if replacing it failed, so it was kept`, {
      path,
      hint: `remove it yourself (echo -1 > ${path}) and run enable again`,
    });
  }
  table.control(old.name, '-1');
  try {
    register(table, target);
  } catch (err) {
    if (!(err instanceof QemuBinfmtError)) throw err;
    const putBack = tryPutBack(table, restore, old.enabled);
    throw new QemuBinfmtError(err.code, `${err.message} (${putBack})`, {
      ...(err.path ? { path: err.path } : {}),
      ...(err.errno ? { errno: err.errno } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
    });
  }
}

function tryPutBack(table: BinfmtTable, restore: { line: string; registration: Registration }, enabled: boolean): string {
  const name = restore.registration.name;
  try {
    if (table.read(name)) table.control(name, '-1');
    table.register(restore.line);
    if (!enabled) table.control(name, '0');
    const back = table.read(name);
    if (back && back.enabled === enabled && differences(back, restore.registration).length === 0) return 'the previous entry was put back';
  } catch {
    // reported below
  }
  return `the previous entry was LOST; its line was ${restore.line.trimEnd()}`;
}

/** One write to register, translated errors, and a read-back. */
function register(table: BinfmtTable, target: PlannedTarget): 'enabled' | 'unchanged' {
  const { registration: reg, line } = target;
  try {
    table.register(line);
  } catch (err) {
    const errno = err instanceof QemuBinfmtError ? err.errno : errnoOf(err);
    if (errno === 'EEXIST') {
      // Someone registered the same name between our read and our write: compare again.
      const now = table.read(reg.name);
      if (now && now.enabled && differences(now, reg).length === 0) return 'unchanged';
      throw new QemuBinfmtError('EXISTS_DIFFERENT', `entry ${reg.name} was registered meanwhile by another process, and differs`, {
        path: `${table.dir}/${reg.name}`,
        errno,
        hint: 'check it with qemu-binfmt status; add --force to replace it',
      });
    }
    throw translateRegisterError(err, table.dir, target);
  }
  readBack(table, target);
  return 'enabled';
}

function translateRegisterError(err: unknown, dir: string, target: PlannedTarget): unknown {
  if (!(err instanceof QemuBinfmtError)) return err;
  const { registration: reg } = target;
  const path = `${dir}/register`;
  if (err.code === 'IO' && err.errno === 'ENOENT') {
    return new QemuBinfmtError('NOT_MOUNTED', `${path} does not exist (ENOENT)`, {
      path,
      errno: 'ENOENT',
      hint: `binfmt_misc is not mounted: add --mount, or run mount -t binfmt_misc binfmt_misc ${dir}`,
    });
  }
  if (err.code !== 'KERNEL_REJECTED') return err;
  if (reg.flags.fixBinary && (err.errno === 'ENOENT' || err.errno === 'EACCES')) {
    // With F the kernel opens the interpreter during the write.
    return new QemuBinfmtError('INTERPRETER_NOT_FOUND', `the kernel could not open the interpreter ${reg.interpreter} (${err.errno}, flag F)`, {
      path: reg.interpreter,
      errno: err.errno,
      hint:
        err.errno === 'ENOENT'
          ? 'with F the interpreter must exist when registering; install it or check the path'
          : 'the interpreter must be executable, and not on a noexec mount',
    });
  }
  if (err.errno === 'EINVAL') {
    return new QemuBinfmtError('KERNEL_REJECTED', `the kernel rejected the line for ${reg.name} (EINVAL): ${target.line.trim()}`, {
      path,
      errno: 'EINVAL',
      hint: reg.flags.fixBinary
        ? 'kernels before 4.8 do not know flag F: retry with --no-fix-binary'
        : 'the line broke a kernel rule that this tool does not know; please report it',
    });
  }
  return err;
}

function readBack(table: BinfmtTable, target: PlannedTarget): void {
  const { registration: reg } = target;
  const entry = table.read(reg.name);
  const path = `${table.dir}/${reg.name}`;
  if (!entry) {
    throw new QemuBinfmtError('READBACK', `wrote ${reg.name} to ${table.dir}/register, but ${path} does not exist`, {
      path,
      hint: `${table.dir} may not be binfmt_misc (an autofs point not yet mounted, or a plain directory); check with: mount | grep binfmt_misc`,
    });
  }
  const diffs = differences(entry, reg);
  if (diffs.length > 0 || !entry.enabled) {
    throw new QemuBinfmtError('READBACK', `${path} reads back differently: ${entry.enabled ? diffs.join('; ') : 'disabled'}`, {
      path,
      hint: 'another tool may have changed it at the same time; check with qemu-binfmt status',
    });
  }
}
