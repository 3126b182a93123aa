import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runtimeClosure } from './closure.js';
import type { Entry } from './entry.js';
import { QemuBinfmtError } from './errors.js';
import { resolvePlatforms, type Platform } from './platforms.js';
import { sameRule } from './rule.js';
import { accessTable, type TableOptions } from './table-access.js';

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

export interface SandboxNeeds {
  /** Platforms that can be built for, with the sandbox paths their entries need. */
  platforms: Array<{ platform: Platform; entry: Entry; paths: string[] }>;
  /** Named platforms that are not registered as this table's: they cannot be used. */
  missing: Platform[];
}

/** What sandboxes need for the registered entries of these platforms (all: every registered one). */
export async function sandboxNeeds(names: readonly string[], options: TableOptions = {}): Promise<SandboxNeeds> {
  const all = names.some((n) => n.toLowerCase() === 'all');
  const platforms = resolvePlatforms(names);
  const { table } = await accessTable(options, false);
  const needs: SandboxNeeds = { platforms: [], missing: [] };
  for (const platform of platforms) {
    const entry = table.read(platform.entryName);
    if (entry?.rule && entry.enabled && sameRule(entry.rule, platform.rule)) needs.platforms.push({ platform, entry, paths: sandboxPaths(entry) });
    else if (!all) needs.missing.push(platform);
  }
  return needs;
}

export function unique(paths: Iterable<string>): string[] {
  return [...new Set(paths)];
}

const BEGIN = '# qemu-binfmt: begin (written by qemu-binfmt sandbox nix; restart nix-daemon after a change)';
const END = '# qemu-binfmt: end';

/** The nix.conf lines: the Nix systems these platforms build for, and the paths the sandbox needs. */
export function nixSettings(needs: SandboxNeeds): string[] {
  const systems = unique(needs.platforms.flatMap(({ platform }) => platform.aliases.nix ?? []));
  // Nix binds a listed path's target only when it is named: path=its real file.
  const paths = unique(needs.platforms.flatMap(({ paths }) => paths)).map((p) => {
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
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.qemu-binfmt.tmp`;
  writeFileSync(temp, after);
  renameSync(temp, file);
  return true;
}

/** guix-daemon options that make the paths visible in its build chroots. */
export function guixOptions(paths: readonly string[]): string[] {
  return paths.map((p) => `--chroot-directory=${p}`);
}

export const GUIX_DAEMON_UNITS = ['/etc/systemd/system/guix-daemon.service', '/lib/systemd/system/guix-daemon.service', '/usr/lib/systemd/system/guix-daemon.service'];
const GUIX_DEFAULT_EXEC = '/var/guix/profiles/per-user/root/current-guix/bin/guix-daemon --build-users-group=guixbuild --discover=no';

/** A systemd drop-in for guix-daemon.service that adds the options to its command line. */
export function guixDropIn(options: readonly string[], units = GUIX_DAEMON_UNITS): string {
  const unit = units.find((u) => existsSync(u));
  const exec = unit ? /^ExecStart=(.+)$/m.exec(readFileSync(unit, 'utf8'))?.[1] : undefined;
  return [
    '# Written by qemu-binfmt sandbox guix: makes QEMU visible in guix-daemon build chroots.',
    `# Base command from ${unit ?? "Guix's own guix-daemon.service"}.`,
    '[Service]',
    'ExecStart=',
    `ExecStart=${exec ?? GUIX_DEFAULT_EXEC} ${options.join(' ')}`,
    '',
  ].join('\n');
}
