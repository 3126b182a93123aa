/** Stable error codes. Usage errors exit 2 and nothing is written; the others exit 1. */
export type ErrorCode =
  | 'USAGE'
  | 'UNKNOWN_PLATFORM'
  | 'KERNEL_RULE'
  | 'NATIVE_PLATFORM'
  | 'CAPTURES_HOST'
  | 'DYNAMIC_INTERPRETER'
  | 'INTERPRETER_NOT_FOUND'
  | 'NOT_MOUNTED'
  | 'PERMISSION'
  | 'EXISTS_DIFFERENT'
  | 'READBACK'
  | 'KERNEL_REJECTED'
  | 'NO_BOOT_SYSTEM'
  | 'PROBE_FAILED'
  | 'PRIVATE_NAMESPACE'
  | 'IO';

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
}

export class QemuBinfmtError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly hint: string | undefined;
  readonly errno: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'QemuBinfmtError';
    this.code = code;
    this.path = details.path;
    this.hint = details.hint;
    this.errno = details.errno;
  }

  /** 2 for bad input (nothing was written), 1 for an operational failure. */
  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }

  /** One line: the message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export function usageError(message: string, hint?: string): QemuBinfmtError {
  return new QemuBinfmtError('USAGE', message, hint === undefined ? {} : { hint });
}

/** Any error as a QemuBinfmtError (an unexpected one becomes IO), so one target's failure stays its own. */
export function asQemuBinfmtError(err: unknown): QemuBinfmtError {
  if (err instanceof QemuBinfmtError) return err;
  const errno = errnoOf(err);
  return new QemuBinfmtError('IO', err instanceof Error ? err.message : String(err), errno ? { errno } : {});
}

export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
