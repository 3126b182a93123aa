import { lstatSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { asQemuBinfmtError } from '../errors.js';
import { CONDITIONS, type Condition } from '../conditions.js';
import { sameFile } from '../fs/mount.js';
import { Tree } from '../fs/tree.js';

/**
 * The QEMU version each interpreter of the host carries, remembered by path, size and
 * modification time, so that a later run reads only its headers. The cache is safe to lose: a
 * missing, unreadable or stale one only costs reading the version again, and one that cannot be
 * written is skipped. It is trusted only as the caller's own: a regular file of the caller's, in
 * a directory of the caller's that no one else can write. Anything else (a link, a FIFO, another
 * owner, a directory others can write, an oversized file) is not read, and not written: one
 * warning says so. QEMU_BINFMT_CACHE_DIR names its directory (empty: no cache).
 */
const CACHE_ENV = 'QEMU_BINFMT_CACHE_DIR';
const FILE = 'versions.json';
/** A cache of a few dozen interpreters is a few KiB. */
const MAX_CACHE = 256 * 1024;

interface Remembered {
  size: number;
  mtimeMs: number;
  /** The QEMU version the file carries, or null when it carries none. */
  version: string | null;
}

function cacheDir(): string | undefined {
  const env = process.env[CACHE_ENV];
  if (env !== undefined) return env || undefined;
  if (process.getuid?.() === 0) return '/var/cache/qemu-binfmt';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-binfmt');
}

/** Why a cache directory (as lstat or the held directory sees it) is not the caller's alone; undefined when it is. */
function untrustedDir(st: Stats): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== process.getuid?.()) return `belongs to uid ${st.uid}, not to this user (uid ${process.getuid?.()})`;
  if (st.mode & 0o022) return 'can be written by other users (group or others have write permission)';
  return undefined;
}

/** Why the cache in a directory held open is not the caller's own: checked again as held, so the directory read is the one checked. */
function whyNotOurs(tree: Tree, checked: Stats): string | undefined {
  const held = tree.stat('.');
  if (!held || !sameFile(held, checked)) return `directory ${tree.path} changed while it was read`;
  const file = tree.stat(FILE, false);
  const path = tree.show(FILE);
  if (!file) return undefined;
  if (file.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!file.isFile()) return `${path} is not a regular file`;
  if (file.uid !== process.getuid?.()) return `${path} belongs to uid ${file.uid}, not to this user`;
  return undefined;
}

export class VersionCache {
  private entries: Record<string, Remembered> | undefined;
  private dirty = false;
  /** The directory, held open from the read to the write (closed by save). */
  private tree: Tree | undefined;
  /** Why the cache was not used this run (said once, as a warning); undefined when it was, or there is none. */
  condition: Condition | undefined;

  constructor(private dir = cacheDir()) {}

  /** Not used this run: nothing is read or written, and the warning says why. */
  private refuse(why: string): void {
    this.condition = CONDITIONS.CACHE_UNUSED(why, CACHE_ENV);
    this.dir = undefined;
    this.close();
  }

  private close(): void {
    this.tree?.close();
    this.tree = undefined;
  }

  private load(): Record<string, Remembered> {
    if (this.entries) return this.entries;
    this.entries = {};
    const dir = this.dir && lstatSync(this.dir, { throwIfNoEntry: false });
    if (!this.dir || !dir) return this.entries;
    const whyNot = untrustedDir(dir);
    if (whyNot) {
      this.refuse(`directory ${this.dir} ${whyNot}`);
      return this.entries;
    }
    let text: string | undefined;
    try {
      this.tree = Tree.open(this.dir);
      const why = whyNotOurs(this.tree, dir);
      if (why) this.refuse(why);
      else text = this.tree.readFile(FILE, MAX_CACHE)?.toString('utf8');
    } catch (err) {
      this.refuse(asQemuBinfmtError(err).message);
    }
    if (!this.dir) return this.entries;
    try {
      const parsed: unknown = JSON.parse(text ?? '{}');
      if (typeof parsed === 'object' && parsed !== null) this.entries = parsed as Record<string, Remembered>;
    } catch {
      // Not a cache (cut short, or someone's edit): rebuilt as versions are read.
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

  /** Writes what was learnt, atomically, in the caller's own directory; a cache that cannot be written is left as it is. */
  save(): void {
    try {
      if (!this.dirty || !this.dir) return;
      if (!this.tree) {
        Tree.makeDirs(this.dir);
        if (untrustedDir(lstatSync(this.dir))) return;
        this.tree = Tree.open(this.dir);
      }
      this.tree.writeFile(FILE, `${JSON.stringify(this.entries)}\n`, 0o600);
      this.dirty = false;
    } catch {
      // safe to lose
    } finally {
      this.close();
    }
  }
}
