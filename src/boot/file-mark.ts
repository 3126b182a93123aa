import type { Tree } from '../fs/tree.js';
import pkg from '../../package.json' with { type: 'json' };

/** Every file qemu-binfmt writes starts with this mark; it removes only files that carry it. */
const MARK = 'Written by qemu-binfmt';
const CREATED = 'qemu-binfmt created directories:';

export interface HeaderInfo {
  /** How to regenerate the file (a command line). */
  regenerate: string;
  /** Directories (relative to the root) that writing this file created, for a clean removal. */
  createdDirs?: readonly string[];
}

/** The comment header, as lines that start with `#`. */
export function header({ regenerate, createdDirs = [] }: HeaderInfo): string[] {
  return [
    `# ${MARK} ${pkg.version}; do not edit: qemu-binfmt replaces or removes this file.`,
    // A path with a newline must not end the comment.
    `# Regenerate with: ${regenerate.replace(/[\0-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1))}`,
    ...(createdDirs.length ? [`# ${CREATED} ${createdDirs.join(' ')}`] : []),
  ];
}

export function writtenByUs(content: string): boolean {
  return content.split('\n', 4).some((line) => line.startsWith('#') && line.includes(MARK));
}

/** A file's content when qemu-binfmt wrote it; undefined when it is missing or not ours. */
export function readIfOurs(tree: Tree, path: string): string | undefined {
  // A link, directory or device where a file of ours would be is not ours.
  if (!tree.stat(path, false)?.isFile()) return undefined;
  try {
    const content = tree.readFile(path)?.toString('utf8');
    return content !== undefined && writtenByUs(content) ? content : undefined;
  } catch {
    return undefined;
  }
}

export function createdDirsOf(content: string): string[] {
  const line = content.split('\n', 6).find((l) => l.startsWith(`# ${CREATED}`));
  return line
    ? line
        .slice(CREATED.length + 2)
        .trim()
        .split(/\s+/)
        .filter(Boolean)
    : [];
}
