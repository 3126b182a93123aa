/**
 * binfmt_misc flags, in the order the kernel prints them. T and L came with Linux 7.3; they are
 * read and kept (another tool's entry put back as it was), never chosen for QEMU: QEMU does not
 * understand T's AT_FLAGS contract, and L is a loader substitution, not an emulation. D (register
 * disabled, 7.3) is spent on the registration and never read back, so it is not a flag here.
 */
export interface Flags {
  /** P: pass the original argv[0] (the interpreter must understand it). */
  preserveArgv0: boolean;
  /** O: the kernel opens the binary and passes a file descriptor. */
  openBinary: boolean;
  /** C: credentials from the binary (setuid works; implies O). */
  credentials: boolean;
  /** F: the kernel opens the interpreter now, so it works in any mount namespace later. */
  fixBinary: boolean;
  /** T (Linux >= 7.3): transparent dispatch, argv untouched, the binary through AT_EXECFD; implies O, excludes P. */
  transparent?: boolean;
  /** L (Linux >= 7.3): the interpreter replaces the binary's PT_INTERP loader in a native exec. */
  loader?: boolean;
}

const LETTERS: ReadonlyArray<[keyof Flags, string]> = [
  ['preserveArgv0', 'P'],
  ['openBinary', 'O'],
  ['credentials', 'C'],
  ['fixBinary', 'F'],
  ['transparent', 'T'],
  ['loader', 'L'],
];

/** C and T imply O in the kernel; this makes the flags say so, so they compare equal to a read-back entry. */
function normalizeFlags(flags: Flags): Flags {
  return { ...flags, openBinary: flags.openBinary || flags.credentials || flags.transparent === true };
}

export function flagString(flags: Flags): string {
  const normal = normalizeFlags(flags);
  return LETTERS.filter(([key]) => normal[key])
    .map(([, letter]) => letter)
    .join('');
}

/** Parses letters as the kernel prints or accepts them; undefined if one is unknown. */
export function parseFlagString(text: string): Flags | undefined {
  const known = new Set(LETTERS.map(([, l]) => l));
  if ([...text].some((ch) => !known.has(ch))) return undefined;
  const flags: Flags = { preserveArgv0: false, openBinary: false, credentials: false, fixBinary: false };
  // T and L are set only when present, so flags of older kernels compare as they always did.
  for (const [key, letter] of LETTERS) if (text.includes(letter) || key in flags) flags[key] = text.includes(letter);
  return normalizeFlags(flags);
}

/** The kernel's rules for flags that exclude each other (Linux 7.3): T rejects P; L rejects T, P, C and O. */
export function flagConflict(flags: Flags): string | undefined {
  if (flags.transparent && flags.preserveArgv0) return 'T (transparent) keeps the whole argv, so it excludes P';
  if (flags.loader && (flags.transparent || flags.preserveArgv0 || flags.credentials || flags.openBinary))
    return 'L (loader substitution) is a native exec: it excludes T, P, C and O';
  return undefined;
}
