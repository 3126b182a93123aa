import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, readSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseEntry, type Entry } from '../codec/entry.js';
import { errnoOf, QemuBinfmtError, REPORT_HINT } from '../errors.js';
import { run } from '../exec.js';
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

class BinfmtDir implements BinfmtTable {
  constructor(readonly dir: string) {}

  /** binfmt_misc is mounted here: register exists (touching it triggers an autofs) on a binfmt_misc filesystem. */
  mountState(): MountState {
    try {
      accessSync(join(this.dir, 'register'));
    } catch {
      return 'absent';
    }
    this.binfmtFs = undefined;
    return this.isBinfmtFs() || process.env[PLAIN_DIR_HOOK] === '1' ? 'mounted' : 'plain';
  }

  async mount(): Promise<void> {
    // A binfmt_misc mount point is an empty directory: mounting over anything else would hide it.
    if (readdirSync(this.dir).length > 0) throw mountRefused(this.dir);
    const result = await run('mount', ['-t', 'binfmt_misc', 'binfmt_misc', this.dir]);
    if (result.exitCode !== 0 || this.mountState() !== 'mounted') throw mountFailed(this.dir, result.stderr.trim());
  }

  kernelEnabled(): boolean {
    const path = join(this.dir, 'status');
    try {
      return readFileSync(path, 'utf8').trim() === 'enabled';
    } catch (err) {
      throw systemError(err, path, 'read');
    }
  }

  list(): Entry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
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
      return parseEntry(name, readFileSync(path, 'utf8'));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw systemError(err, path, 'read');
    }
  }

  register(line: string): void {
    const path = join(this.dir, 'register');
    const fd = openFile(path, constants.O_WRONLY | constants.O_TRUNC);
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

  private binfmtFs: boolean | undefined;

  private isBinfmtFs(): boolean {
    if (this.binfmtFs === undefined) {
      try {
        this.binfmtFs = statfsSync(this.dir).type === BINFMTFS_MAGIC;
      } catch {
        this.binfmtFs = false;
      }
    }
    return this.binfmtFs;
  }

  /** Writes the action to an entry; with `when`, reads it first through the same open. */
  private write(name: string, action: ControlAction, when?: (entry: Entry) => boolean): Entry | undefined {
    if (CONTROL_FILES.has(name))
      throw new QemuBinfmtError('INTERNAL', `refusing to write to ${name}: it acts on every entry`, { hint: REPORT_HINT });
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, when ? constants.O_RDWR : constants.O_WRONLY | constants.O_TRUNC);
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

/** Opens without O_CREAT: a missing file is an error, never a new file. */
function openFile(path: string, flags: number): number {
  try {
    return openSync(path, flags);
  } catch (err) {
    throw systemError(err, path, 'open');
  }
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
