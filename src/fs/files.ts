import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Small questions about the host's own files, each asked with one look. */

/** Where distributions put programs (QEMU's user-mode emulators among them), searched after $PATH. */
export const USUAL_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin'];

export function defaultSearchDirs(path = process.env.PATH ?? ''): string[] {
  return [...new Set([...path.split(delimiter).filter((d) => d.startsWith('/')), ...USUAL_DIRS])];
}

export type Kind = 'directory' | 'file' | 'other' | undefined;

/** What is at a path: a directory, a file, something else, or nothing. */
export function kindOf(path: string): Kind {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether a program is installed: an executable NAME in a $PATH directory or a usual one (a stat per directory). */
export function onPath(name: string): boolean {
  return defaultSearchDirs().some((dir) => isExecutableFile(join(dir, name)));
}

/** Whether a (small, kernel) file holds a text; false when it cannot be read. */
export function fileHas(path: string, text: string): boolean {
  try {
    return readFileSync(path, 'utf8').includes(text);
  } catch {
    return false;
  }
}
