import { RULE_WINDOW } from '../elf/layout.js';
import { QemuBinfmtError } from '../errors.js';
import { flagConflict, flagString, parseFlagString, type Flags } from './flags.js';
import { escapeBytes } from '../table/hex.js';
import type { MagicRule } from '../table/rule.js';

/** Limits from fs/binfmt_misc.c and Documentation/admin-guide/binfmt-misc.rst. */
export const KERNEL_LIMITS = {
  /** Whole register write, trailing newline included. */
  minLine: 11,
  maxLine: 1920,
  /** offset + magic length must fit in the bytes the kernel reads from a binary (BINPRM_BUF_SIZE). */
  maxMagicEnd: RULE_WINDOW,
  /** Documented limit for the interpreter path. */
  maxInterpreter: 127,
} as const;

export interface Registration {
  name: string;
  rule: MagicRule;
  interpreter: string;
  flags: Flags;
}

const DELIMITER = ':';

function violation(rule: string, value: string | number): QemuBinfmtError {
  return new QemuBinfmtError('KERNEL_RULE', `${rule} (got ${JSON.stringify(value)})`, {
    hint: 'the kernel would reject this line with EINVAL; nothing was written',
  });
}

/** The first kernel rule a registration breaks, as an error; undefined when it breaks none. */
export function registrationProblem(reg: Registration): QemuBinfmtError | undefined {
  const { name, rule, interpreter } = reg;
  if (name === '' || name === '.' || name === '..') return violation('entry name must be non-empty and not . or ..', name);
  if (name.includes('/') || name.includes(DELIMITER) || /[\0-\x1f]/.test(name)) {
    return violation('entry name must not contain /, : or control characters', name);
  }
  if (name === 'register' || name === 'status') return violation('entry name must not be register or status', name);
  if (!Number.isInteger(rule.offset) || rule.offset < 0) return violation('offset must be a whole number >= 0', rule.offset);
  if (rule.magic.length === 0) return violation('magic must not be empty', '');
  if (rule.mask.length !== rule.magic.length) {
    return violation(`mask must be as long as the magic (${rule.magic.length} bytes)`, rule.mask.length);
  }
  if (rule.offset + rule.magic.length > KERNEL_LIMITS.maxMagicEnd) {
    return violation(`offset + magic length must be <= ${KERNEL_LIMITS.maxMagicEnd}`, rule.offset + rule.magic.length);
  }
  if (!interpreter.startsWith('/')) return violation('interpreter must be an absolute path', interpreter);
  if (interpreter.length > KERNEL_LIMITS.maxInterpreter) {
    return violation(`interpreter path must be at most ${KERNEL_LIMITS.maxInterpreter} characters`, interpreter);
  }
  if (interpreter.includes(DELIMITER) || /[\0-\x1f]/.test(interpreter)) {
    return violation('interpreter path must not contain : or control characters', interpreter);
  }
  const conflict = flagConflict(reg.flags);
  if (conflict) return violation(conflict, flagString(reg.flags));
  const length = buildRegisterLine(reg).length;
  if (length < KERNEL_LIMITS.minLine || length > KERNEL_LIMITS.maxLine) {
    return violation(`register line must be ${KERNEL_LIMITS.minLine}..${KERNEL_LIMITS.maxLine} bytes`, length);
  }
  return undefined;
}

/** Checks a registration against every rule the kernel applies to a register line. */
export function validateRegistration(reg: Registration): void {
  const problem = registrationProblem(reg);
  if (problem) throw problem;
}

/** The line without checks: for a registration already checked with registrationProblem. */
export function buildRegisterLine({ name, rule, interpreter, flags }: Registration): string {
  const fields = [name, 'M', String(rule.offset), escapeBytes(rule.magic), escapeBytes(rule.mask), interpreter, flagString(flags)];
  return `${DELIMITER}${fields.join(DELIMITER)}\n`;
}

/** The one place a register line is made: `:name:M:offset:magic:mask:interpreter:flags\n`, validated. */
export function formatRegisterLine(reg: Registration): string {
  validateRegistration(reg);
  return buildRegisterLine(reg);
}

/** Decodes a binfmt_misc byte field: \xHH escapes, other characters as themselves. */
export function decodeBytes(field: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < field.length;) {
    const escape = /^\\x([0-9a-fA-F]{2})/.exec(field.slice(i, i + 4));
    bytes.push(escape ? parseInt(escape[1]!, 16) : field.charCodeAt(i));
    i += escape ? 4 : 1;
  }
  return Uint8Array.from(bytes);
}

/** Reads a magic-type register line back into a registration; undefined if it is not one. */
export function parseRegisterLine(line: string): Registration | undefined {
  const text = line.replace(/\n$/, '');
  const delimiter = text[0];
  if (!delimiter) return undefined;
  const fields = text.slice(1).split(delimiter);
  const [name, type, offset, magic, mask, interpreter, flagText] = fields;
  if (fields.length !== 7 || type !== 'M' || !name || !magic || interpreter === undefined) return undefined;
  const flags = parseFlagString(flagText ?? '');
  if (!flags) return undefined;
  const magicBytes = decodeBytes(magic);
  return {
    name,
    rule: {
      offset: Number(offset || 0),
      magic: magicBytes,
      mask: mask ? decodeBytes(mask) : new Uint8Array(magicBytes.length).fill(0xff),
    },
    interpreter,
    flags,
  };
}
