import { readElfInfo, type ElfHeader } from './header.js';

/** Where the loader looks last for a library, by ELF class. */
export const LOADER_DEFAULT_DIRS = { 32: ['/lib', '/usr/lib'], 64: ['/lib64', '/usr/lib64', '/lib', '/usr/lib'] } as const;

/** A file the loader would take for a program of this class and machine (it skips the others). */
export function sameKind(path: string, like: ElfHeader): boolean {
  try {
    const h = readElfInfo(path).header;
    return h !== undefined && h.class === like.class && h.machine === like.machine;
  } catch {
    return false;
  }
}
