import { CONDITIONS, type Condition, type Severity } from '../conditions.js';
import { errorInfo, QemuBinfmtError, type ErrorInfo } from '../errors.js';
import type { Skipped } from '../plan/plan.js';
import type { ChrootResult } from '../chroot/bind.js';
import type { Report, TargetResult } from '../operations/report.js';
import type { CheckReport } from '../operations/check.js';
import type { Explanation } from '../operations/explain.js';
import type { PlatformStatus, StatusReport } from '../operations/status.js';
import type { ProbeReport } from '../operations/test.js';
import { probeFailed } from '../probe/run-probe.js';

/**
 * The JSON every command prints with --json: one envelope (docs/json.md, docs/json.schema.json).
 * `ok` is true exactly when `problems` is empty, and then the exit code is 0.
 */

/** One thing found, with its stable code: a condition, a failed target, or an error. Read `code`, never the words. */
export interface Finding {
  code: string;
  severity: Severity;
  problem: string;
  fix?: string;
  /** QEMU_KNOWN_PROBLEM: the known problem's own code (platforms/qemu-facts.json). */
  fact?: string;
  /** Where it was found, when it is about one platform, entry, file or path. */
  platform?: string;
  entry?: string;
  file?: string;
  path?: string;
}

export interface Envelope<R = unknown, D extends object = object> {
  ok: boolean;
  /** The command (status's modes told apart: status --check, status --provenance), or null when the command line was not understood. */
  command: string | null;
  /** One item per target: platform, file or path (their shape is the command's). */
  results: R[];
  problems: Finding[];
  warnings: Finding[];
  notices: Finding[];
  /** What the command says of the run as a whole (its shape is the command's). */
  details: D;
}

type Where = Pick<Finding, 'platform' | 'entry' | 'file' | 'path'>;

export const finding = ({ code, severity, problem, fix, fact }: Condition, where: Where = {}): Finding => ({
  code,
  severity,
  problem,
  ...(fix ? { fix } : {}),
  ...(fact ? { fact } : {}),
  ...where,
});

/** An error as a problem: its code, its message, its hint as the fix. */
export function errorFinding(error: ErrorInfo | QemuBinfmtError, where: Where = {}): Finding {
  const info = error instanceof QemuBinfmtError ? errorInfo(error) : error;
  return {
    code: info.code,
    severity: 'problem',
    problem: info.message,
    ...(info.hint ? { fix: info.hint } : {}),
    ...(info.path && !where.path ? { path: info.path } : {}),
    ...where,
  };
}

export function envelope<R, D extends object>(command: string | null, results: R[], findings: Finding[], details: D): Envelope<R, D> {
  const of = (severity: Severity) => findings.filter((f) => f.severity === severity);
  return {
    ok: !findings.some((f) => f.severity === 'problem'),
    command,
    results,
    problems: of('problem'),
    warnings: of('warning'),
    notices: of('notice'),
    details,
  };
}

/** A target of enable or disable as JSON: its warnings and error are findings of the envelope. */
export type JsonTarget = Omit<TargetResult, 'warnings' | 'error'>;

export interface ReportDetails {
  dryRun: boolean;
  binfmtDir: string;
  skipped: Skipped[];
  chroots?: ChrootResult[];
}

/** What an enable or disable report found: its conditions, each target's warnings and failure, each chroot's failure. */
export function reportFindings(report: Report): Finding[] {
  return [
    ...report.conditions.map((c) => finding(c)),
    ...report.results.flatMap(({ platform, entry, warnings, error }) => [
      ...warnings.map((w) => finding(w, { platform, entry })),
      ...(error ? [errorFinding(error, { platform, entry })] : []),
    ]),
    ...(report.chroots ?? []).flatMap((c) => (c.error ? [errorFinding(c.error, { platform: c.platform, path: c.dir })] : [])),
  ];
}

export const jsonTargets = (results: readonly TargetResult[]): JsonTarget[] =>
  results.map(({ warnings: _warnings, error: _error, ...rest }) => rest);

export function reportEnvelope(report: Report): Envelope<JsonTarget, ReportDetails> {
  return envelope(report.command, jsonTargets(report.results), reportFindings(report), {
    dryRun: report.dryRun,
    binfmtDir: report.binfmtDir,
    skipped: report.skipped,
    ...(report.chroots ? { chroots: report.chroots } : {}),
  });
}

export function statusEnvelope({
  platforms,
  conditions,
  ...details
}: StatusReport): Envelope<PlatformStatus, Omit<StatusReport, 'platforms' | 'conditions'>> {
  return envelope(
    'status',
    platforms,
    conditions.map((c) => finding(c)),
    details,
  );
}

/** status --check: each platform checked and whether it is as enable leaves it; a problem of the whole table has no platform. */
export function checkEnvelope({ checked, problems, warnings }: CheckReport) {
  return envelope(
    'status --check',
    checked.map((platform) => ({ platform, ok: !problems.some((p) => p.platform === platform) })),
    [
      ...problems.map(({ platform, ...problem }) => (platform === '*' ? problem : { ...problem, platform })),
      ...warnings.map(({ platform, entry, ...w }) => finding(w, { platform, entry })),
    ],
    {},
  );
}

/** test: each failing probe is a problem of its platform. */
export function probeEnvelope({ results, conditions }: ProbeReport) {
  const failing = results.filter(probeFailed);
  // test --deep: a code per call that did not work (OPENAT2_ENOSYS); a problem when it fails the platform.
  const calls = results.flatMap(({ platform, entry, deep }) =>
    (deep?.calls ?? [])
      .filter((c) => c.result !== 'ok')
      .map((c): Finding => ({
        code: `${c.call}_${c.result}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_'),
        severity: c.fails ? 'problem' : 'notice',
        problem: `${c.call}: ${c.result}: ${c.consequence ?? ''}`,
        ...(c.fact ? { fix: c.fact.fix, fact: c.fact.code } : {}),
        platform,
        entry,
      })),
  );
  return envelope(
    'test',
    results,
    [
      ...conditions.map((c) => finding(c)),
      ...failing
        .filter((r) => r.outcome !== 'system-calls-fail')
        .map((r) => finding(CONDITIONS.PROBE_FAILS(r.entry, r.detail, r.platform), { platform: r.platform, entry: r.entry })),
      ...calls,
    ],
    {},
  );
}

/** explain: each file that does not run is a problem, its code why (ENOEXEC, ENOENT, ...), its fixes the fix. */
export function explainEnvelope(explanations: Explanation[]) {
  const problems = explanations
    .filter((e) => !e.runs)
    .map(({ file, code, verdict, fixes, platform }): Finding => ({
      code: code ?? 'ENOEXEC',
      severity: 'problem',
      problem: verdict,
      ...(fixes.length ? { fix: fixes.join('; ') } : {}),
      file,
      ...(platform ? { platform } : {}),
    }));
  // The known problems of the emulator a file runs through: warnings, and their codes in its result.
  const known = explanations.flatMap(({ file, platform, entry, known: said = [] }) =>
    said.map((w) => finding(w, { file, ...(platform ? { platform } : {}), ...(entry ? { entry } : {}) })),
  );
  const results = explanations.map(({ known: said, ...e }) => ({ ...e, ...(said ? { known: said.map((w) => w.fact!) } : {}) }));
  return envelope('explain', results, [...problems, ...known], {});
}
