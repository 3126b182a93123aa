import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The QEMU version each interpreter of the host carries, remembered by path, size and
 * modification time, so that a later run reads only its headers. The cache is safe to lose: a
 * missing, unreadable or stale one only costs reading the version again, and one that cannot be
 * written is skipped. QEMU_BINFMT_CACHE_DIR names its directory (empty: no cache).
 */
export const CACHE_ENV = 'QEMU_BINFMT_CACHE_DIR';

interface Remembered {
  size: number;
  mtimeMs: number;
  /** The QEMU version the file carries, or null when it carries none. */
  version: string | null;
}

export function cacheDir(): string | undefined {
  const env = process.env[CACHE_ENV];
  if (env !== undefined) return env || undefined;
  if (process.getuid?.() === 0) return '/var/cache/qemu-binfmt';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-binfmt');
}

export class VersionCache {
  private entries: Record<string, Remembered> | undefined;
  private dirty = false;

  constructor(private readonly dir = cacheDir()) {}

  private get file(): string | undefined {
    return this.dir && join(this.dir, 'versions.json');
  }

  private load(): Record<string, Remembered> {
    if (this.entries) return this.entries;
    try {
      const parsed: unknown = this.file ? JSON.parse(readFileSync(this.file, 'utf8')) : {};
      this.entries = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, Remembered>) : {};
    } catch {
      this.entries = {};
    }
    return this.entries;
  }

  /** The remembered version (null: none), or undefined when the file changed or was never read. */
  get(path: string): string | null | undefined {
    const hit = this.load()[path];
    const st = statSync(path, { throwIfNoEntry: false });
    const known = hit && st && hit.size === st.size && hit.mtimeMs === st.mtimeMs;
    return known && (typeof hit.version === 'string' || hit.version === null) ? hit.version : undefined;
  }

  set(path: string, version: string | null): void {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    this.load()[path] = { size: st.size, mtimeMs: st.mtimeMs, version };
    this.dirty = true;
  }

  /** Writes what was learnt, atomically; a cache that cannot be written is left as it is. */
  save(): void {
    if (!this.dirty || !this.file || !this.dir) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify(this.entries)}\n`);
      renameSync(temp, this.file);
      this.dirty = false;
    } catch {
      // safe to lose
    }
  }
}
