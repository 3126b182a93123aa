import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseEntry, type Entry } from './entry.js';
import { errnoOf, QemuBinfmtError } from './errors.js';
import { run } from './exec.js';

export const DEFAULT_BINFMT_DIR = '/proc/sys/fs/binfmt_misc';
const CONTROL_FILES = new Set(['register', 'status']);

/**
 * The only code that reads or writes binfmt_misc, rooted at one directory. File access is
 * synchronous: these are tiny kernel files, and a thread-pool round trip per file costs more.
 */
export interface BinfmtTable {
  readonly dir: string;
  isMounted(): boolean;
  /** Mounts binfmt_misc on the directory. It is never unmounted afterwards. */
  mount(): Promise<void>;
  /** Whether the kernel handles entries at all (the global `status` file). */
  kernelEnabled(): boolean;
  list(): Entry[];
  read(name: string): Entry | undefined;
  /** Writes one register line in a single write(). */
  register(line: string): void;
  /** Writes 1 (enable), 0 (disable) or -1 (remove) to one entry; never to `status`. */
  control(name: string, action: '1' | '0' | '-1'): void;
}

export function openBinfmtTable(dir = DEFAULT_BINFMT_DIR): BinfmtTable {
  return new BinfmtDir(dir);
}

class BinfmtDir implements BinfmtTable {
  constructor(readonly dir: string) {}

  isMounted(): boolean {
    try {
      // Touching register also triggers an autofs mount point.
      accessSync(join(this.dir, 'register'));
      return true;
    } catch {
      return false;
    }
  }

  async mount(): Promise<void> {
    const result = await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', this.dir]);
    if (result.exitCode !== 0 || !this.isMounted()) {
      throw new QemuBinfmtError('NOT_MOUNTED', `could not mount binfmt_misc on ${this.dir}: ${result.stderr.trim() || 'mount failed'}`, {
        path: this.dir,
        hint: 'run as root (or in a container with --privileged / --cap-add SYS_ADMIN)',
      });
    }
  }

  kernelEnabled(): boolean {
    const path = join(this.dir, 'status');
    try {
      return readFileSync(path, 'utf8').trim() === 'enabled';
    } catch (err) {
      throw ioError(err, path, 'read');
    }
  }

  list(): Entry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      throw ioError(err, this.dir, 'list');
    }
    return names
      .filter((n) => !CONTROL_FILES.has(n))
      .sort()
      .map((n) => this.read(n))
      .filter((e) => e !== undefined);
  }

  read(name: string): Entry | undefined {
    const path = join(this.dir, name);
    try {
      return parseEntry(name, readFileSync(path, 'utf8'));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw ioError(err, path, 'read');
    }
  }

  register(line: string): void {
    writeOnce(join(this.dir, 'register'), line);
  }

  control(name: string, action: '1' | '0' | '-1'): void {
    if (CONTROL_FILES.has(name)) throw new Error(`refusing to write to ${name}`);
    writeOnce(join(this.dir, name), action);
  }
}

/**
 * Opens (without O_CREAT: a missing file is an error) and writes once. An error from the write
 * itself is the kernel refusing the text (for register: the line, or with F its interpreter),
 * and comes back as KERNEL_REJECTED with the errno; an error opening the file is an I/O error.
 */
function writeOnce(path: string, text: string): void {
  const data = Buffer.from(text);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
  } catch (err) {
    throw ioError(err, path, 'open');
  }
  try {
    const written = writeSync(fd, data, 0, data.length);
    if (written !== data.length) throw new Error(`short write (${written} of ${data.length} bytes)`);
  } catch (err) {
    const errno = errnoOf(err);
    throw new QemuBinfmtError('KERNEL_REJECTED', `the kernel refused ${JSON.stringify(text.trimEnd())} written to ${path}${errno ? ` (${errno})` : ''}`, {
      path,
      ...(errno ? { errno } : {}),
    });
  } finally {
    closeSync(fd);
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'run as root (sudo), or in a container started with --privileged (or --cap-add SYS_ADMIN)',
  EPERM: 'run as root (sudo), or in a container started with --privileged (or --cap-add SYS_ADMIN)',
  EROFS: 'binfmt_misc is mounted read-only here; run on the host or in a privileged container',
};

/** Turns a system error on a binfmt_misc file into a typed error with its errno and a hint. */
export function ioError(err: unknown, path: string, action: string): QemuBinfmtError {
  if (err instanceof QemuBinfmtError) return err;
  const errno = errnoOf(err);
  const reason = err instanceof Error ? err.message : String(err);
  const code = errno === 'EACCES' || errno === 'EPERM' ? 'PERMISSION' : 'IO';
  const hint = errno ? HINTS[errno] : undefined;
  return new QemuBinfmtError(code, `cannot ${action} ${path}: ${reason}`, {
    path,
    ...(errno ? { errno } : {}),
    ...(hint ? { hint } : {}),
  });
}
