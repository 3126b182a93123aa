/** binfmt_misc flags, in the order the kernel prints them. */
export interface Flags {
  /** P: pass the original argv[0] (the interpreter must understand it). */
  preserveArgv0: boolean;
  /** O: the kernel opens the binary and passes a file descriptor. */
  openBinary: boolean;
  /** C: credentials from the binary (setuid works; implies O). */
  credentials: boolean;
  /** F: the kernel opens the interpreter now, so it works in any mount namespace later. */
  fixBinary: boolean;
}

const LETTERS: ReadonlyArray<[keyof Flags, string]> = [
  ['preserveArgv0', 'P'],
  ['openBinary', 'O'],
  ['credentials', 'C'],
  ['fixBinary', 'F'],
];

/** C implies O in the kernel; this makes the flags say so, so they compare equal to a read-back entry. */
export function normalizeFlags(flags: Flags): Flags {
  return { ...flags, openBinary: flags.openBinary || flags.credentials };
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
  for (const [key, letter] of LETTERS) flags[key] = text.includes(letter);
  return normalizeFlags(flags);
}
