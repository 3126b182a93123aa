import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { QemuBinfmtError } from '../errors.js';

/** Files and links under a root (a live system or an image tree), without following links out of it. */

export function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function pointsTo(path: string, target: string): boolean {
  return lstatSync(path).isSymbolicLink() && readlinkSync(path) === target;
}

/** Directories on the way to each dir that do not exist yet, outermost first (relative to root). */
export function missingDirs(root: string, dirs: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const dir of dirs) {
    const parts = dir.split('/');
    parts.forEach((_, i) => {
      const sub = parts.slice(0, i + 1).join('/');
      if (!existsSync(join(root, sub))) missing.add(sub);
    });
  }
  return [...missing];
}

/**
 * Refuses a path to write that is a symbolic link, or (in an image tree) goes through one: in a
 * tree, a link is the image's and points into the image, not into this machine.
 */
export function assertNoLinks(root: string, rel: string): void {
  const parts = rel.split('/');
  const checked = root === '/' ? [rel] : parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  for (const sub of checked) {
    const path = join(root, sub);
    if (isPresent(path) && lstatSync(path).isSymbolicLink()) {
      throw new QemuBinfmtError('EXISTS_DIFFERENT', `${path} is a symbolic link; refusing to write through it, so nothing was written`, {
        path,
        hint: 'replace it with a real directory or file, or choose another way with --via',
      });
    }
  }
}
