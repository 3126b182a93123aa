import type { Entry } from '../codec/entry.js';
import { runtimeClosure } from '../elf/closure.js';

/** Whether a build chroot or sandbox sees a registered interpreter. */
export type Visibility = 'yes' | 'if-bound-or-listed' | 'no';

/** Null when it cannot be told: F with an interpreter that could not be read. */
export function interpreterVisibility(entry: Entry, isStatic: boolean | null): Visibility | null {
  if (!entry.flags.fixBinary) return 'if-bound-or-listed';
  return isStatic === null ? null : isStatic ? 'yes' : 'no';
}

/**
 * The paths a sandbox needs for an entry: none with F and a static interpreter (the kernel
 * holds it); the interpreter's libraries with F and a dynamic one; without F the interpreter
 * exactly as registered, and its libraries if it is dynamic.
 */
export function sandboxPaths(entry: Entry): string[] {
  // A static interpreter's closure is itself, so with F nothing is left.
  const closure = runtimeClosure(entry.interpreter);
  return entry.flags.fixBinary ? closure.slice(1) : closure;
}
