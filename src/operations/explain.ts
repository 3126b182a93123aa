import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Tree, type HeldFile } from '../fs/tree.js';
import type { Entry } from '../codec/entry.js';
import { asQemuBinfmtError } from '../errors.js';
import { CONDITIONS, conditionText, type Condition, type ConditionCode } from '../conditions.js';
import { emulatorBuild } from '../plan/interpreter.js';
import { knownProblems } from '../plan/qemu-facts.js';
import { tryReadElfInfo } from '../elf/header.js';
import { ET_DYN, ET_EXEC } from '../elf/layout.js';
import { identify, type Identity } from '../explain/identify.js';
import { programNeeds } from '../explain/needs.js';
import { libraryFixes } from '../explain/fixes.js';
import { decideWinner, type Winner } from '../explain/winner.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { binfmtInKernel } from '../kernel/binfmt-dir.js';
import { detectHost, nativeReason, type HostOptions } from '../plan/host.js';
import { is64BitMachine, kernelFacts, type KernelFacts } from '../plan/host-kernel.js';
import { shellQuote } from '../boot/quote.js';
import { PLATFORMS, type Platform } from '../table/platforms.js';
import { matches } from '../table/rule.js';

/** Why one file runs here or not, decided from its bytes and the table, without running it. */
export interface Explanation {
  file: string;
  runs: boolean;
  /** One line: `runs natively`, `runs through ...`, `Exec format error: ...`, `No such file or directory: ...`. */
  verdict: string;
  /** What was found, in the order it was looked at. */
  reasons: string[];
  /** What to do about it. */
  fixes: string[];
  platform?: string;
  /**
   * Why it does not run, as data: the error an exec gives (ENOEXEC, ENOENT, EACCES), the condition
   * of the table as a whole that decides it (NOT_MOUNTED, SWITCHED_OFF), or CANNOT_READ and
   * NOT_LOOKED_AT for a file that was not explained.
   */
  code?: FailureCode;
  /** The entry the kernel hands the file to, when one is known. */
  entry?: string;
  interpreter?: string;
  /** The known problems of that entry's emulator (platforms/qemu-facts.json): it may start, and still meet them. */
  known?: Condition[];
}

export interface ExplainOptions extends TableOptions {
  /** The root the file runs in (a chroot or image tree): its loader, libraries and interpreters are looked up there. */
  root?: string;
  host?: HostOptions;
  /** The running kernel's page size and 32-bit support, instead of reading them (for tests). */
  kernel?: Partial<KernelFacts>;
}

/** What an exec of the file fails with, as the shell says it. */
const EXEC_ERRORS = { ENOEXEC: 'Exec format error', ENOENT: 'No such file or directory', EACCES: 'Permission denied' } as const;
type ExecError = keyof typeof EXEC_ERRORS;
type FailureCode = ExecError | Extract<ConditionCode, 'NOT_MOUNTED' | 'SWITCHED_OFF'> | 'CANNOT_READ' | 'NOT_LOOKED_AT';

/** A verdict that it does not run: the exec's error, then why. */
const failing = (code: ExecError, why: string) => ({ runs: false, verdict: `${EXEC_ERRORS[code]}: ${why}`, code }) as const;

const TYPES: Record<number, string> = {
  [ET_EXEC]: 'an executable (ET_EXEC)',
  [ET_DYN]: 'a position-independent executable or library (ET_DYN)',
};

/** Explains each file; writes nothing and runs nothing. */
export async function explain(files: readonly string[], options: ExplainOptions = {}): Promise<Explanation[]> {
  const host = detectHost(options.host);
  const access = await accessTable(options, false, false);
  const entries = access.mounted ? access.table.list() : [];
  let kernel: KernelFacts | undefined;
  const tree = Tree.of(options.root);
  const context: Context = {
    tree,
    host,
    access,
    entries,
    kernel: () => (kernel ??= { ...kernelFacts(host.machine), ...options.kernel }),
    kernelOn: access.mounted ? access.table.kernelEnabled() : false,
  };
  const out: Explanation[] = [];
  try {
    for (const file of files) out.push(await explainNamed(resolve(file), context));
  } finally {
    tree.close();
  }
  return out;
}

interface Context {
  /** The root the file runs in, held open: its paths resolve inside it. */
  tree: Tree;
  host: ReturnType<typeof detectHost>;
  access: Awaited<ReturnType<typeof accessTable>>;
  entries: Entry[];
  /** The running kernel's facts, read once, for the first program of the host's family. */
  kernel: () => KernelFacts;
  kernelOn: boolean;
}

/**
 * A file the user named: read through a descriptor held open, reached from / so that another
 * user's link cannot lend it a file of root's; what is not a regular file is told by its kind.
 */
async function explainNamed(file: string, ctx: Context): Promise<Explanation> {
  let held: HeldFile | undefined;
  try {
    held = Tree.openNamed(file);
  } catch (err) {
    // Not a regular file (a directory, a FIFO), or not to be followed: said from a look, nothing read.
    const error = asQemuBinfmtError(err);
    const notLooked = error.code === 'UNSAFE_PATH';
    const verdict = notLooked
      ? `not looked at: ${error.message}`
      : `cannot run: ${statSync(file, { throwIfNoEntry: false })?.isDirectory() ? `${file} is a directory` : error.message}`;
    return { file, runs: false, verdict, code: notLooked ? 'NOT_LOOKED_AT' : 'CANNOT_READ', reasons: [], fixes: [] };
  }
  if (!held) return { file, ...failing('ENOENT', danglingOrMissing(file)), reasons: [], fixes: [] };
  try {
    return await explainOne(file, ctx, 0, held.path);
  } finally {
    held.close();
  }
}

/** A missing file as the user named it: a link that leads nowhere is named with where it leads. */
function danglingOrMissing(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? `${file} is a symbolic link to ${readlinkSync(file)}, which does not exist` : file;
  } catch {
    return file;
  }
}

/** Without registering anything (no root, or not wanted): the rootless run, for the platforms it can take. */
function runInstead(u: Under, platform: Platform, enableArgs: string): string[] {
  if (enableArgs !== platform.name) return [];
  const { tree } = u.ctx;
  const rootfs = tree.isHost ? '' : ` --rootfs ${shellQuote(tree.path)}`;
  // Inside a root filesystem the command is named as the chroot sees it.
  const inside = !tree.isHost && u.file.startsWith(`${tree.path}/`) ? u.file.slice(tree.path.length) : u.file;
  return [`or, without root and without registering anything: qemu-binfmt run ${platform.name}${rootfs} -- ${shellQuote(inside)}`];
}

/** One explanation under way: what it found so far, in order, and how it ends. */
interface Under {
  file: string;
  /** Reaches the same file for reading (a descriptor held open). */
  read: string;
  ctx: Context;
  reasons: string[];
  fixes: string[];
  result: (runs: boolean, verdict: string, extra?: Partial<Explanation>) => Explanation;
  /** It does not run: the exec's error, why, and what else was found. */
  fail: (code: ExecError, why: string, extra?: Partial<Explanation>) => Explanation;
}

type Elf = Extract<Identity, { kind: 'elf' }>;

/** Explains a file; `read` reaches the same file for reading (a descriptor held open), `file` names it. */
async function explainOne(file: string, ctx: Context, depth: number, read = file): Promise<Explanation> {
  const reasons: string[] = [];
  const fixes: string[] = [];
  const u: Under = {
    file,
    read,
    ctx,
    reasons,
    fixes,
    result: (runs, verdict, extra = {}) => ({ file, runs, verdict, reasons, fixes, ...extra }),
    fail: (code, why, extra = {}) => ({ file, ...failing(code, why), reasons, fixes, ...extra }),
  };
  const id = identify(read, file);
  if ('detail' in id)
    return id.kind === 'missing' ? u.fail('ENOENT', file) : u.result(false, `cannot run: ${id.detail}`, { code: 'CANNOT_READ' });
  if (!isExecutable(read)) {
    // Execute permission helps only a program: a text file or data needs no chmod.
    if (id.kind === 'other') return u.fail('EACCES', `${file} is not executable, and it is not a program: it is ${id.what}`);
    fixes.push(`chmod +x ${shellQuote(file)}`);
    return u.fail('EACCES', `${file} is not executable`);
  }
  if (id.kind === 'script') return explainScript(file, id, ctx, depth, reasons, fixes);
  if (id.kind === 'other') return u.fail('ENOEXEC', `${file} is ${id.what}`);
  return explainElf(u, id);
}

/** An ELF program: native, or which entry takes it and whether that entry's emulator can run it here. */
async function explainElf(u: Under, { header, platform, head }: Elf): Promise<Explanation> {
  u.reasons.push(
    `ELF ${header.class}-bit ${header.endianness}-endian, ${TYPES[header.type] ?? `e_type ${header.type}`}, e_machine 0x${header.machine.toString(16)}, ` +
      `OSABI ${header.osabi}, e_flags 0x${header.flags.toString(16)}: ${platform ? `platform ${platform.name}` : 'no QEMU platform of this table'}`,
  );
  if (!platform) return u.fail('ENOEXEC', `no QEMU platform runs e_machine 0x${header.machine.toString(16)}`);
  const native = nativeReason(platform, u.ctx.host);
  // The kernel's facts (its configuration, a few files) are read only for a program of the host's family.
  const kernel = native ? u.ctx.kernel() : undefined;
  if (native && kernel && (native.reason === 'captures-host' || runsInFamily(header.class, u.ctx.host.machine, kernel, u.reasons)))
    return explainNative(u, native, kernel);
  // A platform of the host's family that this kernel does not run is registered only on request.
  const enableArgs = native ? `${platform.name} --include-native` : platform.name;
  const off = tableVerdict(u, platform, enableArgs);
  if (off) return off;
  const entry = await chooseEntry(u, platform, head, enableArgs);
  return 'runs' in entry ? entry : throughEntry(u, platform, entry);
}

/** A program of the host's own kind: it runs natively, if its pages and libraries allow. */
function explainNative(u: Under, native: NonNullable<ReturnType<typeof nativeReason>>, kernel: KernelFacts): Explanation {
  u.reasons.push(native.reason === 'captures-host' ? "this host's own kind of program" : `of the host's family (${u.ctx.host.family})`);
  const pages = tryReadElfInfo(u.read)?.maxPageSize;
  if (pages && kernel.pageSize && pages < kernel.pageSize) {
    u.fixes.push(`rebuild it with -Wl,-z,max-page-size=${kernel.pageSize}, or run it under a kernel with ${kib(pages)} pages`);
    return u.result(
      false,
      `cannot run: its segments are laid out for pages of ${kib(pages)} at most, and this kernel's pages are ${kib(kernel.pageSize)}`,
    );
  }
  return withNeeds(u, 'runs natively');
}

/** binfmt_misc as a whole: a verdict when there is no table, or it is switched off. */
function tableVerdict(u: Under, platform: Platform, enableArgs: string): Explanation | undefined {
  const { access } = u.ctx;
  if (!access.mounted) {
    if (!binfmtInKernel())
      u.reasons.push('the kernel has no binfmt_misc (CONFIG_BINFMT_MISC is off, or the module is not loaded: modprobe binfmt_misc)');
    u.fixes.push(`qemu-binfmt enable ${enableArgs} --mount`, ...runInstead(u, platform, enableArgs));
    return u.fail('ENOEXEC', CONDITIONS.NOT_MOUNTED(access.table.dir).problem, {
      platform: platform.name,
      code: 'NOT_MOUNTED',
    });
  }
  if (access.privateNamespace)
    u.reasons.push(
      "this user namespace has a binfmt_misc table of its own: the host does not see these entries, nor this table the host's",
    );
  if (u.ctx.kernelOn) return undefined;
  u.fixes.push(`echo 1 > ${access.table.dir}/status`);
  return u.fail('ENOEXEC', CONDITIONS.SWITCHED_OFF(access.table.dir).problem, {
    platform: platform.name,
    code: 'SWITCHED_OFF',
  });
}

/** The entry the kernel hands the file to (the newest of those that match), or the verdict when none does its work. */
async function chooseEntry(u: Under, platform: Platform, head: Uint8Array, enableArgs: string): Promise<Entry | Explanation> {
  const { ctx, reasons, fixes } = u;
  const claiming = ctx.entries.filter((e) =>
    e.rule ? matches(e.rule, head) : e.extension !== undefined && basename(u.file).endsWith(`.${e.extension}`),
  );
  const enabled = claiming.filter((e) => e.enabled);
  for (const e of ctx.entries.filter((x) => x.bpf && x.enabled))
    reasons.push(
      `entry ${e.name} is programmable (bpf handler ${e.bpf!.handler}): which files it claims cannot be predicted from userspace; if it is newer than the entries below, it may take this one first`,
    );
  for (const e of claiming.filter((x) => !x.enabled)) reasons.push(`entry ${e.name} matches, but is disabled`);
  const ours = ctx.entries.find((e) => e.name === platform.entryName);
  if (ours?.rule && !claiming.includes(ours)) reasons.push(`entry ${ours.name} does not match it: ${mismatch(ours.rule, head)}`);
  if (enabled.length === 0) {
    fixes.push(`qemu-binfmt enable ${enableArgs}`, ...runInstead(u, platform, enableArgs));
    return u.fail('ENOEXEC', 'no enabled binfmt_misc entry matches', { platform: platform.name });
  }
  if (enabled.length === 1) return enabled[0]!;
  const winner: Winner = ctx.access.table.handlesExecs()
    ? await decideWinner(u.file, head, enabled)
    : {
        entry: undefined,
        how: `${ctx.access.table.dir} is not the table this process's execs go through, so nothing was executed to tell`,
      };
  reasons.push(
    `entries ${enabled.map((e) => e.name).join(', ')} all match; the kernel uses the one registered last, which the directory does not tell: ${winner.how}`,
  );
  const entry = winner.entry ?? enabled.find((e) => e.name === platform.entryName) ?? enabled[0]!;
  if (!winner.entry) reasons.push(`assuming ${entry.name} below`);
  if (!winner.entry || !winner.target || `qemu-${winner.target}` === platform.binary) return entry;
  fixes.push(
    winner.entry.name === platform.entryName
      ? `qemu-binfmt enable ${platform.name} --force`
      : `remove the newer entry that shadows it (qemu-binfmt never touches it): echo -1 > ${shellQuote(`${ctx.access.table.dir}/${winner.entry.name}`)}`,
  );
  return u.result(
    false,
    `cannot run: entry ${winner.entry.name} wins and hands it to qemu-${winner.target}, an emulator for another platform`,
    {
      platform: platform.name,
      entry: winner.entry.name,
      interpreter: winner.entry.interpreter,
    },
  );
}

/** Through this entry: its interpreter (with F the kernel holds it; without, it must be there at every exec), then the program's own needs. */
function throughEntry(u: Under, platform: Platform, entry: Entry): Explanation {
  u.reasons.push(`entry ${entry.name} hands it to ${entry.interpreter} (flags ${entry.flagText || 'none'})`);
  const privileged = setIdNote(u.read, entry, platform.name);
  if (privileged) u.reasons.push(privileged);
  const found = { platform: platform.name, entry: entry.name, interpreter: entry.interpreter };
  const held = entry.flags.fixBinary ? undefined : openIn(u.ctx.tree, entry.interpreter);
  if (!entry.flags.fixBinary && held === undefined) {
    u.fixes.push(`qemu-binfmt enable ${platform.name} --force (a static interpreter with F works in any root)`);
    return u.fail('ENOENT', `the interpreter ${entry.interpreter} is missing${under(u.ctx)}`, found);
  }
  try {
    const lacking = interpreterLacks(u, held?.path ?? entry.interpreter, entry);
    if (lacking) {
      u.fixes.push('install qemu-user-static and enable it with F: qemu-binfmt enable --force ' + platform.name);
      return u.fail('ENOENT', `the interpreter ${entry.interpreter} needs ${lacking}, missing here`, found);
    }
  } finally {
    held?.close();
  }
  // With F the kernel holds the host's file; without, the file in this root runs.
  const build = entry.flags.fixBinary || u.ctx.tree.isHost ? emulatorBuild(entry.interpreter) : undefined;
  const known = build ? knownProblems(platform, build) : [];
  for (const w of known) u.reasons.push(`its emulator is known for this: ${conditionText(w)}`);
  return withNeeds(u, `runs through ${entry.interpreter} (entry ${entry.name})`, {
    ...found,
    ...(known.length ? { known } : {}),
  });
}

/** What a dynamically linked interpreter without F lacks in the root; says how it is linked. */
function interpreterLacks(u: Under, path: string, e: Entry): string | undefined {
  const interp = tryReadElfInfo(path);
  if (interp)
    u.reasons.push(
      `${e.interpreter} is ${interp.isStatic ? 'statically linked' : 'dynamically linked'}${e.flags.fixBinary ? ', held open by the kernel (F)' : ''}`,
    );
  if (!interp || interp.isStatic || e.flags.fixBinary) return undefined;
  const lacks = programNeeds(path, u.ctx.tree);
  return lacks.loaderPresent ? lacks.missing[0]?.library : lacks.loader;
}

/**
 * A regular file of the root, held open; undefined when it is missing, not a regular file, or (on
 * the host) reached through another user's place, as a file the user names would be.
 */
function openIn(tree: Tree, path: string): HeldFile | undefined {
  try {
    return tree.isHost ? Tree.openNamed(path) : tree.openFile(path);
  } catch {
    return undefined;
  }
}

const kib = (bytes: number) => `${bytes / 1024} KiB`;

/** What a setuid or setgid foreign program gets through this entry, with C and without. */
function setIdNote(file: string, entry: Entry, platform: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st || !(st.mode & 0o6000)) return undefined;
  const what = [st.mode & 0o4000 ? `setuid (owner uid ${st.uid})` : '', st.mode & 0o2000 ? `setgid (group gid ${st.gid})` : '']
    .filter(Boolean)
    .join(' and ');
  return entry.flags.credentials
    ? `${what}: with this entry's C flag it runs with those rights, and so does its emulator. ${CONDITIONS.CREDENTIALS().problem}`
    : `${what}: this entry has no C flag, so it runs with the caller's rights, not those (sudo or su in it fail); qemu-binfmt enable ${platform} --force --credentials would change that, with C's risk`;
}

const under = (ctx: Context) => (ctx.tree.isHost ? '' : ` under ${ctx.tree.path}`);

/** A merged-/usr root that lacks its /lib (or /lib64) link while the loader is right there under /usr. */
function mergedUsrLink(tree: Tree, loader: string): { reason: string; fix: string } | undefined {
  const top = loader.split('/')[1];
  if (!top || tree.stat(`/${top}`, false) || !tree.exists(`/usr${loader}`)) return undefined;
  const root = tree.isHost ? '' : tree.path;
  return {
    reason: `/${top} is missing${tree.isHost ? '' : ` in ${root}`}, but the loader is at /usr${loader}: a merged-/usr root without its /${top} -> usr/${top} link`,
    fix: `ln -s usr/${top} ${shellQuote(`${root}/${top}`)}`,
  };
}

/** Whether the kernel runs a program of its own family of this width; says why not (or why unsure) in reasons. */
function runsInFamily(width: 32 | 64, machine: string, kernel: KernelFacts, reasons: string[]): boolean {
  const host64 = is64BitMachine(machine);
  if (width === 64 && !host64) {
    reasons.push(`a 64-bit program, and this ${machine} kernel is 32-bit`);
    return false;
  }
  if (width === 32 && host64) {
    if (kernel.runs32 === false) {
      reasons.push(`a 32-bit program, and this kernel runs none: ${kernel.runs32Why}`);
      return false;
    }
    if (kernel.runs32 === undefined) reasons.push(`a 32-bit program: it runs natively only if ${kernel.runs32Why}`);
  }
  return true;
}

/** The program's own loader and libraries under the root: the "No such file or directory" that is not about the program. */
function withNeeds(u: Under, verdict: string, extra: Partial<Explanation> = {}): Explanation {
  const { ctx, reasons, fixes, result, fail } = u;
  const needs = programNeeds(u.read, ctx.tree);
  if (!needs.loader) {
    reasons.push('statically linked: it needs no loader or library');
    return result(true, verdict, extra);
  }
  reasons.push(`dynamically linked: its loader is ${needs.loader}`);
  const missing = needs.loaderPresent ? needs.missing.map((m) => m.library) : [needs.loader];
  if (missing.length === 0) return result(true, verdict, extra);
  if (needs.loaderPresent) reasons.push(`missing libraries${under(ctx)}: ${missing.join(' ')}`);
  const merged = needs.loaderPresent ? undefined : mergedUsrLink(ctx.tree, needs.loader);
  if (merged) {
    reasons.push(merged.reason);
    fixes.push(merged.fix);
  } else {
    const arch = PLATFORMS.find((p) => p.name === extra.platform)?.aliases.debian?.[0];
    // The program's own architecture: foreign ones run through an entry; in a root, its own.
    const own = extra.interpreter || !ctx.tree.isHost ? arch : undefined;
    fixes.push(...libraryFixes(missing[0]!, own, ctx.tree, extra.platform));
  }
  return fail('ENOENT', `${missing[0]} is missing${under(ctx)}`, extra);
}

async function explainScript(
  file: string,
  id: Extract<Identity, { kind: 'script' }>,
  ctx: Context,
  depth: number,
  reasons: string[],
  fixes: string[],
): Promise<Explanation> {
  reasons.push(`a script for ${id.interpreter}${id.args ? ` ${id.args}` : ''}`);
  // Opened by the path the script names (on the host, walked as a named path is), never by what it resolves to.
  const held = !id.interpreter.startsWith('/') || depth >= 4 ? undefined : openIn(ctx.tree, id.interpreter);
  if (held === undefined) {
    return {
      file,
      ...failing('ENOENT', `the script's interpreter ${id.interpreter} is missing${under(ctx)}`),
      reasons,
      fixes,
    };
  }
  let inner: Explanation;
  try {
    const shown = ctx.tree.isHost ? id.interpreter : ctx.tree.show(ctx.tree.realpath(id.interpreter) ?? id.interpreter);
    inner = await explainOne(shown, ctx, depth + 1, held.path);
  } finally {
    held.close();
  }
  return {
    ...inner,
    file,
    reasons: [...reasons, ...inner.reasons],
    fixes: [...fixes, ...inner.fixes],
    verdict: `${inner.verdict} (the script's interpreter ${id.interpreter})`,
  };
}

/** Where the rule first fails: the byte and which of magic or mask decides it. */
function mismatch(rule: NonNullable<Entry['rule']>, head: Uint8Array): string {
  if (head.length < rule.offset + rule.magic.length) return 'the file is shorter than its magic';
  const i = rule.magic.findIndex((m, k) => ((head[rule.offset + k]! ^ m) & rule.mask[k]!) !== 0);
  return `mask at byte ${rule.offset + i} (file 0x${head[rule.offset + i]!.toString(16).padStart(2, '0')}, magic 0x${rule.magic[i]!.toString(16).padStart(2, '0')}, mask 0x${rule.mask[i]!.toString(16).padStart(2, '0')})`;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
