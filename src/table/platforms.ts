import table from '../../platforms/platforms.json' with { type: 'json' };
import { closest } from '../closest.js';
import { QemuBinfmtError } from '../errors.js';
import { hexToBytes } from './hex.js';
import type { MagicRule } from './rule.js';

type AliasKind = 'debian' | 'docker' | 'uname' | 'nix' | 'go';
const ALIAS_KINDS: readonly AliasKind[] = ['debian', 'docker', 'uname', 'nix', 'go'];

/** One record of platforms/platforms.json. */
export interface PlatformRecord {
  name: string;
  family: string;
  binary: string;
  class: 32 | 64;
  endianness: 'little' | 'big';
  machine: number;
  mipsAbi?: 'o32' | 'n32';
  offset: number;
  magic: string;
  mask: string;
  aliases: Partial<Record<AliasKind, string[]>>;
  source: string;
  qemu?: { magic: string; mask: string; fault: string };
  /** More rules of the same platform, each its own entry qemu-<platform>-<suffix> (another e_machine number). */
  also?: Array<{ suffix: string; machine: number; magic: string; mask: string; source: string }>;
}

export interface Platform extends PlatformRecord {
  /** The binfmt_misc entry name: qemu-<platform>, or qemu-<platform>-<suffix> for a further rule. */
  entryName: string;
  rule: MagicRule;
  /** A further rule of the platform named (microblaze's official machine number): it goes wherever the platform goes. */
  companionOf?: string;
}

const rule = (offset: number, magic: string, mask: string): MagicRule => ({ offset, magic: hexToBytes(magic), mask: hexToBytes(mask) });

/**
 * Every rule of the table, in table order: each platform, then its further rules right after it.
 * A further rule has the platform's name and its own entry name, so every command that takes
 * platforms (enable, disable, status, export, persist, test, explain) handles the pair as one.
 */
export const PLATFORMS: readonly Platform[] = (table as PlatformRecord[]).flatMap((record): Platform[] => [
  { ...record, entryName: `qemu-${record.name}`, rule: rule(record.offset, record.magic, record.mask) },
  ...(record.also ?? []).map(({ suffix, machine, magic, mask, source }) => ({
    ...record,
    machine,
    magic,
    mask,
    source,
    aliases: {},
    entryName: `qemu-${record.name}-${suffix}`,
    rule: rule(record.offset, magic, mask),
    companionOf: record.name,
  })),
]);

/** One record per platform (no further rules): what `platforms` lists and names are checked against. */
export const PRIMARY_PLATFORMS: readonly Platform[] = PLATFORMS.filter((p) => !p.companionOf);

/** Every alias of a platform, once each (Debian and Go share some). */
export function aliasesOf(platform: PlatformRecord): string[] {
  return [...new Set(ALIAS_KINDS.flatMap((kind) => platform.aliases[kind] ?? []))];
}

const byName = new Map<string, Platform>();
for (const platform of PRIMARY_PLATFORMS) {
  for (const name of [platform.name, platform.entryName, ...aliasesOf(platform)]) {
    byName.set(name.toLowerCase(), platform);
  }
}

export function findPlatform(name: string): Platform | undefined {
  return byName.get(name.toLowerCase());
}

/** Whether the names ask for every platform (`all`, which stands alone). */
export function isAll(names: readonly string[]): boolean {
  const all = names.some((n) => n.toLowerCase() === 'all');
  const others = names.filter((n) => n.toLowerCase() !== 'all');
  if (all && others.length > 0) {
    throw new QemuBinfmtError('USAGE', `all names every platform, so it takes no other name (got also ${others.join(' ')})`, {
      hint: 'give all alone, or name the platforms without all',
    });
  }
  return all;
}

/** Resolves names and aliases (or `all`) to platforms, in table order, without duplicates. */
export function resolvePlatforms(names: readonly string[]): Platform[] {
  if (names.length === 0) {
    throw new QemuBinfmtError('USAGE', 'no platform named', {
      hint: `name one or more platforms, or all; valid names: ${PRIMARY_PLATFORMS.map((p) => p.name).join(' ')}`,
    });
  }
  if (isAll(names)) return [...PLATFORMS];
  if (names.some((n) => n.trim() === '')) {
    throw new QemuBinfmtError('USAGE', 'an empty platform name', {
      hint: `valid names: ${PRIMARY_PLATFORMS.map((p) => p.name).join(' ')}`,
    });
  }
  const unknown = names.filter((n) => !findPlatform(n));
  if (unknown.length > 0) {
    const suggestions = unknown
      .map((n) => [n, suggest(n)] as const)
      .filter(([, s]) => s)
      .map(([n, s]) => `${n}: did you mean ${s}?`);
    throw new QemuBinfmtError(
      'UNKNOWN_PLATFORM',
      `unknown platform ${unknown.join(', ')}${suggestions.length ? ` (${suggestions.join(' ')})` : ''}`,
      { hint: `valid names: ${PRIMARY_PLATFORMS.map((p) => p.name).join(' ')} (aliases: qemu-binfmt platforms)` },
    );
  }
  const wanted = new Set(names.map((n) => findPlatform(n)!.name));
  return PLATFORMS.filter((p) => wanted.has(p.name));
}

/** The closest known name or alias, if it is close enough to be a likely typo. */
export function suggest(name: string): string | undefined {
  return closest(name, byName.keys());
}
