import type { Entry } from '../codec/entry.js';

/** other: a binfmt_misc instance other than the one the table is bound to is at its directory now. */
export type MountState = 'mounted' | 'absent' | 'plain' | 'other';

/** What may be written to an entry: enable, disable, remove. */
export type ControlAction = '1' | '0' | '-1';

/**
 * One binfmt_misc table: the real kernel's at a directory (binfmt-dir.ts), or an in-memory
 * stand-in that behaves like it (memory-table.ts). Errors are QemuBinfmtErrors with the errno
 * the kernel gave (kernel/errors.ts). Access is synchronous: these are tiny kernel files.
 */
export interface BinfmtTable {
  readonly dir: string;
  /**
   * mounted; absent (no register file); plain (a register file, but not a binfmt_misc
   * filesystem); other (another instance than the one this table is bound to). The kernel's
   * table binds itself to the instance it finds mounted first: every later read and write goes
   * to that instance, whatever is mounted at the directory meanwhile.
   */
  mountState(): MountState;
  /** The instance this table is bound to, and the one at its directory now when that is another (for messages). */
  instances(): { bound?: string; seen?: string };
  /** Lets go of the bound instance's open directory (the identity is kept: another instance stays another). */
  release(): void;
  /**
   * The kernel's own table (or a stand-in that behaves as it does): a write that succeeded took
   * effect, so an entry that then reads back otherwise was changed by another process.
   */
  isKernel(): boolean;
  /** Whether this process's execs go through this table (the real kernel's), so executing a file shows which entry wins. */
  handlesExecs(): boolean;
  /** Mounts binfmt_misc on the directory. It is never unmounted afterwards. */
  mount(): Promise<void>;
  /** Whether the kernel handles entries at all (the global `status` file). */
  kernelEnabled(): boolean;
  list(): Entry[];
  read(name: string): Entry | undefined;
  /** Writes one register line in a single write(). */
  register(line: string): void;
  /** Writes 1 (enable), 0 (disable) or -1 (remove) to one entry; never to `status`. */
  control(name: string, action: ControlAction): void;
  /**
   * Reads an entry and writes the action to it only when `when` says so, through one open of
   * its file. Returns the entry as read (undefined when there is none).
   */
  controlIf(name: string, action: ControlAction, when: (entry: Entry) => boolean): Entry | undefined;
}

/** `register` and `status` are the table's own files, never entries. */
export const CONTROL_FILES: ReadonlySet<string> = new Set(['register', 'status']);
