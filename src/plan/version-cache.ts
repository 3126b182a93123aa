import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What `--version` said of each interpreter, remembered by path, size and modification time,
 * so that a later run starts no process to know it. The cache is safe to lose: a missing,
 * unreadable or stale one only costs the process again, and one that cannot be written is
 * skipped. QEMU_BINFMT_CACHE_DIR names its directory (empty: no cache).
 */
export const CACHE_ENV = 'QEMU_BINFMT_CACHE_DIR';

interface Remembered {
  size: number;
  mtimeMs: number;
  /** The QEMU major version, or null when --version did not tell one. */
  major: number | null;
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

  /** The remembered major version (null: none), or undefined when the file changed or was never asked. */
  get(path: string): number | null | undefined {
    const hit = this.load()[path];
    const st = statSync(path, { throwIfNoEntry: false });
    return hit && st && hit.size === st.size && hit.mtimeMs === st.mtimeMs ? hit.major : undefined;
  }

  set(path: string, major: number | undefined): void {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    this.load()[path] = { size: st.size, mtimeMs: st.mtimeMs, major: major ?? null };
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
