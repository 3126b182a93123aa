import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf, QemuBinfmtError } from '../errors.js';
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
 * Adds or replaces the marked block in a nix.conf, leaving every other byte as it was.
 * Returns whether the file changed.
 */
export function writeNixConf(file: string, settings: readonly string[]): boolean {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const block = [BEGIN, ...settings, END].join('\n');
  const start = before.indexOf(BEGIN);
  const end = before.indexOf(END, start);
  let after: string;
  if (start >= 0 && end >= 0) after = before.slice(0, start) + block + before.slice(end + END.length);
  else if (start >= 0 || before.includes(END)) {
    throw new QemuBinfmtError('IO', `${file} has a broken qemu-binfmt block (a begin or end line is missing)`, {
      path: file,
      hint: 'remove the qemu-binfmt lines by hand, then run this again',
    });
  } else after = `${before}${before && !before.endsWith('\n') ? '\n' : ''}${block}\n`;
  if (after === before) return false;
  const temp = `${file}.qemu-binfmt.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(temp, after);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new QemuBinfmtError('IO', `cannot write ${file}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}`, {
      path: file,
      cause: err,
      hint: 'check that its directory is writable and its disk not full; nix.conf was left as it was',
    });
  }
  return true;
}
