import type { Skipped } from '../plan/plan.js';
import type { ChrootResult } from '../chroot/bind.js';
import { errorInfo, type ErrorInfo, type QemuBinfmtError } from '../errors.js';
import type { Condition } from '../conditions.js';

export type Outcome =
  | 'enabled'
  | 'replaced'
  | 'unchanged'
  | 'would-enable'
  | 'would-replace'
  | 'removed'
  | 'would-remove'
  | 'absent'
  | 'kept'
  | 'yielded'
  | 'failed';

/** What happened to one platform. */
export interface TargetResult {
  platform: string;
  entry: string;
  outcome: Outcome;
  interpreter?: string;
  flags?: string;
  /** The exact register line (enable). */
  line?: string;
  /** What was checked before writing (enable). */
  checks?: string[];
  /** A sentence for the person reading: why unchanged, kept, or failed. */
  detail?: string;
  /** What the entry was: disabled (enable switched it on) rather than missing; removed (yielded: ours stepped aside for the preferred emulator). */
  was?: 'disabled' | 'removed';
  /** What differed in an entry that was replaced, field by field. */
  differences?: string[];
  /** Something worth knowing about a target that needs nothing done (printed as a note). */
  note?: string;
  /** yielded: the other tool's entry that serves the platform. */
  servedBy?: string;
  error?: ErrorInfo;
  /** What works but carries a risk, for this target (an overlap, another process's change). */
  warnings: Condition[];
}

export interface Report {
  command: 'enable' | 'disable';
  dryRun: boolean;
  binfmtDir: string;
  /** False when any target failed. */
  ok: boolean;
  results: TargetResult[];
  skipped: Skipped[];
  /** What is worth saying once, with its code and severity (a problem among them makes ok false). */
  conditions: Condition[];
  /** Interpreters bound into (enable) or unbound from (disable) chroots, with --chroot. */
  chroots?: ChrootResult[];
}

export function failed(base: Omit<TargetResult, 'outcome' | 'warnings'>, err: QemuBinfmtError, warnings: Condition[] = []): TargetResult {
  return { ...base, outcome: 'failed', detail: err.describe(), error: errorInfo(err), warnings };
}

/** One way a platform is not as enable would leave it ('*': the table as a whole), with its code (status --check). */
export interface CheckProblem {
  platform: string;
  code: string;
  severity: 'problem';
  problem: string;
  fix?: string;
}

/** A condition (or an error) as a problem of one platform. */
export const onPlatform = (platform: string, c: { code: string; problem: string; fix?: string | undefined }): CheckProblem => ({
  platform,
  code: c.code,
  severity: 'problem',
  problem: c.problem,
  ...(c.fix ? { fix: c.fix } : {}),
});
