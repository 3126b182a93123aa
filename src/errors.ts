import { CODES_ONLY_HOOK } from './conditions.js';
/** Stable error codes. Usage errors exit 2 and nothing is written; the others exit 1. */
export type ErrorCode =
  | 'USAGE'
  | 'UNKNOWN_PLATFORM'
  | 'KERNEL_RULE'
  | 'NATIVE_PLATFORM'
  | 'CAPTURES_HOST'
  | 'DYNAMIC_INTERPRETER'
  | 'INTERPRETER_NOT_FOUND'
  | 'LIBRARY_NOT_FOUND'
  | 'NOT_MOUNTED'
  | 'ANOTHER_INSTANCE'
  | 'NO_BINFMT_MISC'
  | 'PERMISSION'
  | 'EXISTS_DIFFERENT'
  | 'DISTRIBUTION_UNUSABLE'
  | 'READBACK'
  | 'KERNEL_REJECTED'
  | 'NO_BOOT_SYSTEM'
  | 'PROBE_FAILED'
  | 'HOST_BROKEN'
  | 'PRIVATE_NAMESPACE'
  | 'ROOTLESS_UNAVAILABLE'
  | 'UNSAFE_PATH'
  | 'NOT_A_FILE'
  | 'IO'
  | 'INTERNAL';

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'USAGE',
  'UNKNOWN_PLATFORM',
  'KERNEL_RULE',
  'NATIVE_PLATFORM',
  'CAPTURES_HOST',
  'DYNAMIC_INTERPRETER',
]);

export interface ErrorDetails {
  /** The file or directory involved, when there is one. */
  path?: string;
  /** What to do about it. */
  hint?: string;
  /** The errno name (EACCES, ENOENT, ...) of an underlying system error. */
  errno?: string;
  /** The error this one explains. */
  cause?: unknown;
}

export class QemuBinfmtError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly hint: string | undefined;
  readonly errno: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    const codesOnly = process.env[CODES_ONLY_HOOK] === 'codes';
    super(codesOnly ? code : message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'QemuBinfmtError';
    this.code = code;
    this.path = details.path;
    this.hint = codesOnly ? undefined : details.hint;
    this.errno = details.errno ?? errnoOf(details.cause);
  }

  /** 2 for bad input (nothing was written), 1 for an operational failure. */
  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }

  /** One line: the message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }

  /** The same error with more said before its message (its code, path, hint and cause kept). */
  withContext(message: string): QemuBinfmtError {
    return new QemuBinfmtError(this.code, message, { ...detailsOf(this), cause: this });
  }
}

function detailsOf(err: QemuBinfmtError): ErrorDetails {
  return {
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.path ? { path: err.path } : {}),
    ...(err.errno ? { errno: err.errno } : {}),
  };
}

export function usageError(message: string, hint?: string): QemuBinfmtError {
  return new QemuBinfmtError('USAGE', message, hint === undefined ? {} : { hint });
}

export const REPORT_HINT = 'this is a bug in qemu-binfmt: please report it with this message';

/**
 * Any error as a QemuBinfmtError, so one target's failure stays its own: a system error (one
 * with an errno) becomes IO, anything else is a bug and becomes INTERNAL with its stack.
 */
export function asQemuBinfmtError(err: unknown): QemuBinfmtError {
  if (err instanceof QemuBinfmtError) return err;
  const errno = errnoOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (errno) return new QemuBinfmtError('IO', message, { errno, cause: err });
  return new QemuBinfmtError('INTERNAL', `internal error: ${message}`, { hint: REPORT_HINT, cause: err });
}

/** The errno name (ENOENT, EACCES, ...) of a system error; undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  if (err instanceof QemuBinfmtError) return err.errno;
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** An error as data, for reports and JSON. */
export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  path?: string;
  errno?: string;
  /** Only for INTERNAL errors: where the bug is. */
  stack?: string;
}

export function errorInfo(err: QemuBinfmtError): ErrorInfo {
  const stack = err.code === 'INTERNAL' && err.cause instanceof Error ? err.cause.stack : undefined;
  return { code: err.code, message: err.message, ...detailsOf(err), ...(stack ? { stack } : {}) };
}

/** A condition (conditions.ts) as an error of this code: its problem the message, its fix the hint. */
export function conditionError(code: ErrorCode, condition: { problem: string; fix?: string }): QemuBinfmtError {
  return new QemuBinfmtError(code, condition.problem, condition.fix ? { hint: condition.fix } : {});
}
