import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmdirSync,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEntry, type Entry } from '../codec/entry.js';
import { conditionError, errnoOf, QemuBinfmtError, REPORT_HINT } from '../errors.js';
import { CONDITIONS } from '../conditions.js';
import { run, runWithFds } from '../exec.js';
import { inChildUserNamespace } from './namespace.js';
import { CONTROL_FILES, type BinfmtTable, type ControlAction, type MountState } from './binfmt-table.js';
import { kernelRefused, mountFailed, mountRefused, systemError } from './errors.js';

export const DEFAULT_BINFMT_DIR = '/proc/sys/fs/binfmt_misc';
/** statfs f_type of a binfmt_misc mount (include/uapi/linux/magic.h). */
const BINFMTFS_MAGIC = 0x42494e4d;
/**
 * Test hook: with this set to 1, a plain directory with a `register` file stands in for
 * binfmt_misc. Without it, nothing is written to a directory that is not a binfmt_misc mount.
 */
export const PLAIN_DIR_HOOK = 'QEMU_BINFMT_PLAIN_DIR_FOR_TESTS';

/** The kernel's table at a directory: the only code that opens binfmt_misc files. */
export function openBinfmtTable(dir = DEFAULT_BINFMT_DIR): BinfmtTable {
  return new BinfmtDir(dir);
}

/** The instance a table is bound to: its device, whether it is binfmt_misc, and its directory held open while in use. */
interface Bound {
  dev: number;
  binfmtFs: boolean;
  fd: number | undefined;
}

class BinfmtDir implements BinfmtTable {
  constructor(readonly dir: string) {}

  private bound: Bound | undefined;
  private seen: string | undefined;

  /**
   * binfmt_misc is mounted here: register exists (touching it triggers an autofs) on a
   * binfmt_misc filesystem. The first instance found is the one this table is bound to: its
   * directory is held open, and every file is reached through it (/proc/self/fd/N/NAME), so a
   * mount that changes at the path meanwhile cannot take a write. Another instance there later
   * is 'other', and nothing is read or written through the path then.
   */
  mountState(): MountState {
    try {
      accessSync(join(this.dir, 'register'));
    } catch {
      return 'absent';
    }
    let fd: number;
    try {
      fd = openSync(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch {
      return 'absent';
    }
    const kept = this.check(fd);
    if (kept !== 'kept') closeSync(fd);
    return kept === 'kept' || kept === 'same' ? 'mounted' : kept;
  }

  /** What is held open as fd: this table's instance (kept, or the same as the one held), another, or no binfmt_misc at all. */
  private check(fd: number): 'kept' | 'same' | 'plain' | 'other' | 'absent' {
    const here = `/proc/self/fd/${fd}`;
    try {
      accessSync(join(here, 'register'));
    } catch {
      return 'absent';
    }
    const binfmtFs = isBinfmtFsAt(here);
    if (!binfmtFs && process.env[PLAIN_DIR_HOOK] !== '1') return 'plain';
    const { dev } = fstatSync(fd);
    if (this.bound && this.bound.dev !== dev) {
      this.seen = describe(dev, mountIdOf(fd));
      return 'other';
    }
    this.seen = undefined;
    if (this.bound?.fd !== undefined) return 'same';
    if (!this.bound && binfmtFs && !ownInstance(dev)) {
      this.seen = `${describe(dev, mountIdOf(fd))}, not this user namespace's own`;
      return 'other';
    }
    this.bound = { dev, binfmtFs, fd };
    return 'kept';
  }

  instances(): { bound?: string; seen?: string } {
    return {
      ...(this.bound ? { bound: describe(this.bound.dev) } : {}),
      ...(this.seen ? { seen: this.seen } : {}),
    };
  }

  release(): void {
    if (this.bound?.fd !== undefined) closeSync(this.bound.fd);
    if (this.bound) this.bound.fd = undefined;
  }

  /**
   * Mounts this namespace's own binfmt_misc on the directory, and binds the table to it. A mount
   * point is an empty directory, or another binfmt_misc instance (hidden, in this namespace only).
   */
  async mount(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      // An automount point whose mount fails (ENODEV: no binfmt_misc in the kernel), say.
      throw binfmtInKernel() ? systemError(err, this.dir, 'list') : noBinfmtMisc();
    }
    if (names.length > 0 && !isBinfmtFsAt(this.dir)) throw mountRefused(this.dir);
    // mount(8) loads the module when the kernel has it as one.
    const result = await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', this.dir]);
    this.release();
    this.bound = undefined;
    if (result.exitCode !== 0 && !binfmtInKernel()) throw noBinfmtMisc();
    if (result.exitCode !== 0 || this.mountState() !== 'mounted') throw mountFailed(this.dir, result.stderr.trim());
  }

  /** A file of the bound instance, reached through its held directory (the path itself before it is bound). */
  private at(name: string): string {
    return this.bound?.fd !== undefined ? `/proc/self/fd/${this.bound.fd}/${name}` : join(this.dir, name);
  }

  kernelEnabled(): boolean {
    const path = join(this.dir, 'status');
    try {
      return readFileSync(this.at('status'), 'utf8').trim() === 'enabled';
    } catch (err) {
      throw systemError(err, path, 'read');
    }
  }

  list(): Entry[] {
    let names: string[];
    try {
      names = readdirSync(this.at(''));
    } catch (err) {
      throw systemError(err, this.dir, 'list');
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
      return parseEntry(name, readFileSync(this.at(name), 'utf8'));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw systemError(err, path, 'read');
    }
  }

  register(line: string): void {
    const path = join(this.dir, 'register');
    const fd = openFile(this.at('register'), path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      writeAll(fd, path, line);
    } finally {
      closeSync(fd);
    }
  }

  control(name: string, action: ControlAction): void {
    this.write(name, action);
  }

  controlIf(name: string, action: ControlAction, when: (entry: Entry) => boolean): Entry | undefined {
    if (this.isBinfmtFs()) return this.write(name, action, when);
    // A plain directory standing in for the kernel (tests): its files are rewritten whole.
    const entry = this.read(name);
    if (entry && when(entry)) this.write(name, action);
    return entry;
  }

  isKernel(): boolean {
    return this.isBinfmtFs();
  }

  handlesExecs(): boolean {
    return this.isBinfmtFs();
  }

  private isBinfmtFs(): boolean {
    return this.bound?.binfmtFs ?? false;
  }

  /** Writes the action to an entry; with `when`, reads it first through the same open. */
  private write(name: string, action: ControlAction, when?: (entry: Entry) => boolean): Entry | undefined {
    if (CONTROL_FILES.has(name))
      throw new QemuBinfmtError('INTERNAL', `refusing to write to ${name}: it acts on every entry`, { hint: REPORT_HINT });
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(this.at(name), when ? constants.O_RDWR : constants.O_WRONLY | constants.O_TRUNC);
    } catch (err) {
      // Gone is gone: there is nothing to act on.
      if (when && errnoOf(err) === 'ENOENT') return undefined;
      throw systemError(err, path, 'open');
    }
    try {
      const entry = when ? parseEntry(name, readAll(fd, path)) : undefined;
      if (when && (!entry || !when(entry))) return entry;
      writeAll(fd, path, action);
      return entry;
    } finally {
      closeSync(fd);
    }
  }
}

/** Opens without O_CREAT: a missing file is an error, never a new file (named as `path`). */
function openFile(at: string, path: string, flags: number): number {
  try {
    return openSync(at, flags);
  } catch (err) {
    throw systemError(err, path, 'open');
  }
}

/**
 * In a user namespace of its own, whether an instance is that namespace's: a mount copied from a
 * parent namespace shows the parent's table (the host's), which real root mapped to root there
 * could write. This namespace's own is mounted once at a private place and compared by device.
 * In the initial namespace every instance is its own. Undecided (no mount allowed): its own.
 */
function ownInstance(dev: number): boolean {
  if (!inChildUserNamespace()) return true;
  let place: string;
  try {
    place = mkdtempSync(join(tmpdir(), 'qemu-binfmt-own-'));
  } catch {
    return true;
  }
  try {
    if (runWithFds('mount', ['-t', 'binfmt_misc', 'binfmt_misc', place], []).exitCode !== 0) return true;
    const own = statSync(place).dev;
    runWithFds('umount', [place], []);
    return own === dev;
  } finally {
    rmdirSync(place);
  }
}

/** Whether the kernel has binfmt_misc now (built in, or its module loaded): /proc/filesystems says; unreadable counts as yes. */
export function binfmtInKernel(): boolean {
  try {
    return readFileSync('/proc/filesystems', 'utf8').includes('binfmt_misc');
  } catch {
    return true;
  }
}

const noBinfmtMisc = () => conditionError('NO_BINFMT_MISC', CONDITIONS.NO_BINFMT_MISC());

function isBinfmtFsAt(path: string): boolean {
  try {
    return statfsSync(path).type === BINFMTFS_MAGIC;
  } catch {
    return false;
  }
}

/** The mount an open file is on (/proc/self/fdinfo), to tell mounts apart in messages. */
function mountIdOf(fd: number): string {
  try {
    return /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** An instance as mountinfo shows it: the device (major:minor), and the mount ID when known. */
function describe(dev: number, mountId?: string): string {
  const major = ((dev >> 8) & 0xfff) | ((dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  return `binfmt_misc device ${major}:${minor}${mountId ? `, mount ${mountId}` : ''}`;
}

function readAll(fd: number, path: string): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(4096);
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) chunks.push(Buffer.from(buffer.subarray(0, n)));
  } catch (err) {
    throw systemError(err, path, 'read');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One write of the whole text. An error from the write itself is the kernel refusing the text
 * (for register: the line, or with F its interpreter): KERNEL_REJECTED with the errno.
 */
function writeAll(fd: number, path: string, text: string): void {
  const data = Buffer.from(text);
  let written: number;
  try {
    written = writeSync(fd, data, 0, data.length);
  } catch (err) {
    throw kernelRefused(path, text, errnoOf(err), err);
  }
  if (written !== data.length) throw kernelRefused(path, text, undefined, `short write (${written} of ${data.length} bytes)`);
}
