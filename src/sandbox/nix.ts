import { realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Tree } from '../fs/tree.js';
import { QemuBinfmtError } from '../errors.js';
import type { Platform } from '../table/platforms.js';

/** What the nix.conf settings are made from: the platforms to build for and the paths their entries need. */
export interface NixNeeds {
  platforms: ReadonlyArray<{ platform: Platform; paths: readonly string[] }>;
}

const BEGIN = '# qemu-binfmt: begin (written by qemu-binfmt sandbox nix; restart nix-daemon after a change)';
const END = '# qemu-binfmt: end';

/** The nix.conf lines: the Nix systems these platforms build for, and the paths the sandbox needs. */
export function nixSettings(needs: NixNeeds): string[] {
  const systems = [...new Set(needs.platforms.flatMap(({ platform }) => platform.aliases.nix ?? []))];
  // Nix binds a listed path's target only when it is named: path=its real file.
  const paths = [...new Set(needs.platforms.flatMap(({ paths }) => paths))].map((p) => {
    const real = realpathSync(p);
    return real === p ? p : `${p}=${real}`;
  });
  if (!systems.length) return [];
  return [`extra-platforms = ${systems.join(' ')}`, ...(paths.length ? [`extra-sandbox-paths = ${paths.join(' ')}`] : [])];
}

/**
 * Adds or replaces the marked block in a nix.conf, leaving every other byte as it was, and its
 * mode and owner (access-tokens may be in it). The file is replaced atomically, in its directory
 * held open; a link where it should be is refused. Returns whether the file changed.
 */
export function writeNixConf(file: string, settings: readonly string[]): boolean {
  const path = resolve(file);
  Tree.makeDirs(dirname(path));
  const dir = Tree.open(dirname(path));
  try {
    const name = basename(path);
    if (dir.stat(name, false)?.isSymbolicLink())
      throw new QemuBinfmtError('UNSAFE_PATH', `${path} is a symbolic link; refusing to write through it, so nothing was written`, {
        path,
        hint: 'name the file it points to with --write, or replace the link with a file',
      });
    const before = dir.readFile(name)?.toString('utf8') ?? '';
    const after = withBlock(path, before, settings);
    if (after === before) return false;
    dir.writeFile(name, after, 0o644);
    return true;
  } finally {
    dir.close();
  }
}

function withBlock(file: string, before: string, settings: readonly string[]): string {
  const block = [BEGIN, ...settings, END].join('\n');
  const start = before.indexOf(BEGIN);
  const end = before.indexOf(END, start);
  if (start >= 0 && end >= 0) return before.slice(0, start) + block + before.slice(end + END.length);
  if (start >= 0 || before.includes(END)) {
    throw new QemuBinfmtError('IO', `${file} has a broken qemu-binfmt block (a begin or end line is missing)`, {
      path: file,
      hint: 'remove the qemu-binfmt lines by hand, then run this again',
    });
  }
  return `${before}${before && !before.endsWith('\n') ? '\n' : ''}${block}\n`;
}
