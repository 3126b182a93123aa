import type { Skipped } from '../plan/plan.js';
import type { ChrootResult } from '../sandbox/chroot.js';
import { errorInfo, type ErrorInfo, type QemuBinfmtError } from '../errors.js';

export type Outcome =
  'enabled' | 'replaced' | 'unchanged' | 'would-enable' | 'would-replace' | 'removed' | 'would-remove' | 'absent' | 'kept' | 'failed';

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
  /** Something worth knowing about a target that needs nothing done (printed as a note). */
  note?: string;
  error?: ErrorInfo;
  warnings: string[];
}

export interface Report {
  command: 'enable' | 'disable';
  dryRun: boolean;
  binfmtDir: string;
  /** False when any target failed. */
  ok: boolean;
  results: TargetResult[];
  skipped: Skipped[];
  notices: string[];
  /** What works but carries a risk, said once: the C flag chosen, a version cache not used. */
  warnings: string[];
  /** Interpreters bound into (enable) or unbound from (disable) chroots, with --chroot. */
  chroots?: ChrootResult[];
}

export function failed(base: Omit<TargetResult, 'outcome' | 'warnings'>, err: QemuBinfmtError, warnings: string[] = []): TargetResult {
  return { ...base, outcome: 'failed', detail: err.describe(), error: errorInfo(err), warnings };
}
