import type { Tree } from '../fs/tree.js';
import { QemuBinfmtError } from '../errors.js';

/** Files and links under a root (a live system or an image tree), never following links out of it. */

/** Directories on the way to each dir that do not exist yet, outermost first (relative to root). */
export function missingDirs(tree: Tree, dirs: readonly string[]): string[] {
  const missing = new Set<string>();
  for (const dir of dirs) {
    const parts = dir.split('/');
    parts.forEach((_, i) => {
      const sub = parts.slice(0, i + 1).join('/');
      if (!tree.stat(sub, false)) missing.add(sub);
    });
  }
  return [...missing];
}

/**
 * Refuses a path to write that is a symbolic link, or (in an image tree) goes through one: in a
 * tree, a link is the image's and points into the image, not into this machine.
 */
export function assertNoLinks(tree: Tree, rel: string): void {
  const parts = rel.split('/');
  const checked = tree.isHost ? [rel] : parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  for (const sub of checked) {
    if (tree.stat(sub, false)?.isSymbolicLink()) {
      throw new QemuBinfmtError(
        'EXISTS_DIFFERENT',
        `${tree.show(sub)} is a symbolic link; refusing to write through it, so nothing was written`,
        {
          path: tree.show(sub),
          hint: 'replace it with a real directory or file, or choose another way with --via',
        },
      );
    }
  }
}
