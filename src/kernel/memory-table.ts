import { parseEntry, type Entry } from '../codec/entry.js';
import { flagConflict, flagString, parseFlagString } from '../codec/flags.js';
import { bytesToHex } from '../table/hex.js';
import { DEFAULT_BINFMT_DIR } from './binfmt-dir.js';
import { decodeBytes, KERNEL_LIMITS } from '../codec/register-line.js';
import { matches } from '../table/rule.js';
import { CONTROL_FILES, type BinfmtTable, type ControlAction, type MountState } from './binfmt-table.js';
import { errnoError, kernelRefused, systemError } from './errors.js';

export interface MemoryTableOptions {
  dir?: string;
  mounted?: boolean;
  /** The global switch (`status`). */
  enabled?: boolean;
  /** With F the kernel opens the interpreter at registration: ENOENT when this says it is missing. */
  interpreterExists?: (path: string) => boolean;
  /** Behave as Linux >= 7.3: flags T, L and D, type B entries. */
  linux73?: boolean;
  /** Linux >= 7.3: how many interpreters this user may hold open with F (ENOSPC beyond). */
  maxInterpreters?: number;
}

interface Stored {
  name: string;
  enabled: boolean;
  interpreter: string;
  flags: string;
  offset: number;
  magic?: Uint8Array;
  mask?: Uint8Array;
  extension?: string;
  /** A type B entry: its handler, and the interpreters bound to it. */
  bpf?: { handler: string; interpreters: Array<{ name: string; path: string }> };
}

/** What the kernel reads of a binary since Linux 5.1 (128 before; register-line.ts keeps to that). */
const BINPRM_BUF_SIZE = 256;

/**
 * An in-memory binfmt_misc that answers as fs/binfmt_misc.c does: the same checks of a register
 * line (EINVAL), EEXIST for a taken name, ENOENT for a missing entry or (with F) interpreter,
 * entry files in the kernel's text, and the newest registered entry matched first.
 */
export class MemoryBinfmtTable implements BinfmtTable {
  readonly dir: string;
  /** Every write, in order, as [file, text]. */
  readonly writes: Array<[string, string]> = [];
  private mounted: boolean;
  private enabled: boolean;
  private readonly interpreterExists: (path: string) => boolean;
  private readonly linux73: boolean;
  private readonly maxInterpreters: number;
  /** Oldest first. */
  private entries: Stored[] = [];

  constructor(options: MemoryTableOptions = {}) {
    this.dir = options.dir ?? DEFAULT_BINFMT_DIR;
    this.mounted = options.mounted ?? true;
    this.enabled = options.enabled ?? true;
    this.interpreterExists = options.interpreterExists ?? (() => true);
    this.linux73 = options.linux73 ?? false;
    this.maxInterpreters = options.maxInterpreters ?? Infinity;
  }

  isKernel(): boolean {
    return true;
  }

  handlesExecs(): boolean {
    return false;
  }

  mountState(): MountState {
    return this.mounted ? 'mounted' : 'absent';
  }

  /** One table, one instance. */
  instances(): { bound?: string; seen?: string } {
    return {};
  }

  release(): void {}

  mount(): Promise<void> {
    this.mounted = true;
    return Promise.resolve();
  }

  kernelEnabled(): boolean {
    this.assertMounted('status', 'read');
    return this.enabled;
  }

  list(): Entry[] {
    this.assertMounted('', 'list');
    return [...this.entries].sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => this.read(e.name)!);
  }

  read(name: string): Entry | undefined {
    const text = this.text(name);
    return text === undefined ? undefined : parseEntry(name, text);
  }

  /** The entry file's text, as the kernel prints it. */
  text(name: string): string | undefined {
    const e = this.entries.find((x) => x.name === name);
    if (!e) return undefined;
    const state = e.enabled ? 'enabled' : 'disabled';
    if (e.bpf)
      return `${[state, `bpf ${e.bpf.handler}`, ...e.bpf.interpreters.map((i) => `bpf-interpreter ${i.name} ${i.path}`), `flags: ${e.flags}`].join('\n')}\n`;
    const lines = [state, `interpreter ${e.interpreter}`, `flags: ${e.flags}`];
    if (e.extension !== undefined) lines.push(`extension .${e.extension}`);
    else lines.push(`offset ${e.offset}`, `magic ${bytesToHex(e.magic!)}`, ...(e.mask ? [`mask ${bytesToHex(e.mask)}`] : []));
    return `${lines.join('\n')}\n`;
  }

  register(line: string): void {
    const path = `${this.dir}/register`;
    this.assertMounted('register', 'open');
    this.writes.push(['register', line]);
    const refuse = (errno: string) => kernelRefused(path, line, errno, errnoError(errno, 'write', path));
    if (line.length < KERNEL_LIMITS.minLine || line.length > KERNEL_LIMITS.maxLine) throw refuse('EINVAL');
    const body = line.endsWith('\n') ? line.slice(0, -1) : line;
    const fields = body.slice(1).split(body[0]!);
    if (fields.length < 6 || fields.length > 7) throw refuse('EINVAL');
    const [name = '', type, offsetText = '', magicText = '', maskText = '', interpreter = '', flagText = ''] = fields;
    if (!name || name === '.' || name === '..' || name.includes('/')) throw refuse('EINVAL');
    // Linux 7.3: T, L and D; D is spent on the registration (created disabled) and not shown.
    if (!this.linux73 && /[TLD]/.test(flagText)) throw refuse('EINVAL');
    const disabled = flagText.includes('D');
    const parsed = parseFlagString(flagText.replace('D', ''));
    if (!interpreter || !parsed || flagConflict(parsed)) throw refuse('EINVAL');
    const flags = flagString(parsed);
    const stored: Stored = { name, enabled: !disabled, interpreter, flags, offset: 0 };
    if (type === 'B' && this.linux73) {
      // The interpreter field names the handler; offset, magic and mask are empty; only D is allowed.
      if (offsetText || magicText || maskText || flags) throw refuse('EINVAL');
      stored.bpf = { handler: interpreter, interpreters: [] };
    } else if (type === 'E') {
      if (!magicText || magicText.includes('/')) throw refuse('EINVAL');
      stored.extension = magicText;
    } else if (type === 'M') {
      if (!/^\d*$/.test(offsetText)) throw refuse('EINVAL');
      stored.offset = Number(offsetText || 0);
      stored.magic = decodeBytes(magicText);
      if (maskText) stored.mask = decodeBytes(maskText);
      if (!stored.magic.length || (stored.mask && stored.mask.length !== stored.magic.length)) throw refuse('EINVAL');
      if (stored.offset + stored.magic.length > BINPRM_BUF_SIZE) throw refuse('EINVAL');
    } else throw refuse('EINVAL');
    // As bm_register_write does: parse, then open the interpreter (F), then look the name up.
    if (parsed.fixBinary && !this.interpreterExists(interpreter)) throw refuse('ENOENT');
    if (parsed.fixBinary && this.entries.filter((e) => parseFlagString(e.flags)?.fixBinary).length >= this.maxInterpreters)
      throw refuse('ENOSPC');
    if (CONTROL_FILES.has(name) || this.entries.some((e) => e.name === name)) throw refuse('EEXIST');
    this.entries.push(stored);
  }

  control(name: string, action: ControlAction): void {
    const path = `${this.dir}/${name}`;
    if (CONTROL_FILES.has(name)) throw systemError(errnoError('EINVAL', 'open', path), path, 'open');
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw systemError(errnoError('ENOENT', 'open', path), path, 'open');
    this.writes.push([name, action]);
    if (action === '-1') this.entries = this.entries.filter((x) => x !== e);
    else e.enabled = action === '1';
  }

  controlIf(name: string, action: ControlAction, when: (entry: Entry) => boolean): Entry | undefined {
    const entry = this.read(name);
    if (entry && when(entry)) this.control(name, action);
    return entry;
  }

  /** The entry the kernel would hand this file to: the newest registered enabled one that matches. */
  handlerFor(file: Uint8Array, fileName = ''): Entry | undefined {
    if (!this.enabled) return undefined;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      // A bpf entry's program decides; nothing can be predicted of it here.
      if (!e.enabled || e.bpf) continue;
      const hit =
        e.extension !== undefined
          ? fileName.endsWith(`.${e.extension}`)
          : matches({ offset: e.offset, magic: e.magic!, mask: e.mask ?? new Uint8Array(e.magic!.length).fill(0xff) }, file);
      if (hit) return this.read(e.name);
    }
    return undefined;
  }

  /** Linux 7.3: `+name path` written to a B entry that was registered with D and not yet enabled (only tests do that). */
  bind(entry: string, name: string, path: string): void {
    const e = this.entries.find((x) => x.name === entry);
    if (!e?.bpf) throw systemError(errnoError('EINVAL', 'write', `${this.dir}/${entry}`), `${this.dir}/${entry}`, 'write');
    e.bpf.interpreters.push({ name, path });
  }

  /** Sets the global switch, as writing 0 or 1 to `status` does (only tests do that). */
  setKernelEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  private assertMounted(file: string, action: string): void {
    const path = file ? `${this.dir}/${file}` : this.dir;
    if (!this.mounted) throw systemError(errnoError('ENOENT', action, path), path, action);
  }
}
