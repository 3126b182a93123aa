import { CONDITIONS } from '../conditions.js';
import { onPlatform, type CheckProblem } from './report.js';
import { openSync, readFileSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { tryReadElfInfo } from '../elf/header.js';
import { usageError } from '../errors.js';
import { run } from '../exec.js';
import { accessTable, type TableOptions } from '../kernel/access.js';
import { readQemuVersion } from '../elf/qemu-version.js';
import { readNamed } from '../fs/tree.js';
import { isExecutableFile, onPath } from '../fs/files.js';
import { isAll, PLATFORMS, resolvePlatforms } from '../table/platforms.js';

/** What is known of one registered entry's interpreter: enough to tell a changed binary or another version. */
export interface Provenance {
  platform: string;
  entry: string;
  interpreter: string;
  /** The first line of its --version ("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"), or null. */
  version: string | null;
  static: boolean | null;
  size: number | null;
  sha256: string | null;
  /** The package that owns the file (dpkg, rpm or apk), or null. */
  package: string | null;
}

export interface Lock {
  lockVersion: 1;
  interpreters: Provenance[];
}

/** The SHA-256 of a file, read in 1 MiB pieces. */
function sha256(path: string): string {
  // crypto is loaded here, on first use: loading it costs every start-up a few ms.
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The owning package of each path, asking the first package manager present once for all of them. */
async function owners(paths: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (!paths.length) return found;
  if (onPath('dpkg-query')) {
    // dpkg -S: "package[:arch]: path" per line (diversions and several owners joined by ", ").
    const r = await run('dpkg-query', ['-S', ...paths], 10_000);
    for (const line of r.stdout.split('\n')) {
      const at = line.lastIndexOf(': ');
      if (at > 0 && paths.includes(line.slice(at + 2))) found.set(line.slice(at + 2), line.slice(0, at));
    }
  } else if (onPath('rpm')) {
    const r = await run('rpm', ['-qf', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}\\n', ...paths], 10_000);
    r.stdout.split('\n').forEach((line, i) => line && !line.includes(' ') && paths[i] && found.set(paths[i], line));
  } else if (onPath('apk')) {
    for (const path of paths) {
      const r = await run('apk', ['info', '--who-owns', path], 10_000);
      const m = / is owned by (\S+)/.exec(r.stdout);
      if (m) found.set(path, m[1]!);
    }
  } else {
    // An image without a package manager (the container image) records where its emulators came from.
    const record = recordedPackage();
    for (const path of paths) if (record && dirname(realPath(path)) === record.dir) found.set(path, record.text);
  }
  return found;
}

/** The emulators' package as an image records it (Dockerfile): name, version, release, and their directory. */
const EMULATORS_RECORD = '/usr/share/qemu-binfmt/emulators.json';

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** What the container image records of its emulators (EMULATORS_RECORD); undefined elsewhere. */
export interface EmulatorsRecord {
  package: string;
  version: string;
  release: string;
  dir: string;
}

export function emulatorsRecord(): EmulatorsRecord | undefined {
  try {
    return JSON.parse(readFileSync(EMULATORS_RECORD, 'utf8')) as EmulatorsRecord;
  } catch {
    return undefined;
  }
}

function recordedPackage(): { dir: string; text: string } | undefined {
  const r = emulatorsRecord();
  return r && { dir: r.dir, text: `${r.package} ${r.version} (${r.release})` };
}

/**
 * The provenance of every registered qemu-<platform> entry among the named platforms (all when
 * none): its interpreter's QEMU version, static or not, size, SHA-256 and owning package. Reads
 * and hashes the interpreters, so it is only done when asked.
 */
export async function provenance(names: readonly string[], options: TableOptions = {}): Promise<Provenance[]> {
  const platforms = names.length === 0 || isAll(names) ? PLATFORMS : resolvePlatforms(names);
  // Read-only: binfmt_misc is mounted only when asked (the container image's installer mode).
  const { table } = await accessTable({ mount: false, ...options });
  const entries = platforms.flatMap((p) => {
    const entry = table.read(p.entryName);
    return entry ? [{ platform: p.name, entry }] : [];
  });
  const packages = await owners([...new Set(entries.map((e) => e.entry.interpreter))]);
  return entries.map(({ platform, entry }) => {
    const path = entry.interpreter;
    const st = statSync(path, { throwIfNoEntry: false });
    const readable = st?.isFile() === true;
    const isStatic = readable ? (tryReadElfInfo(path)?.isStatic ?? null) : null;
    return {
      platform,
      entry: entry.name,
      interpreter: path,
      version: readable && isExecutableFile(path) ? readVersion(path) : null,
      static: isStatic,
      size: readable ? st.size : null,
      sha256: readable ? sha256(path) : null,
      package: packages.get(path) ?? null,
    };
  });
}

/** A lock file is a few KiB; one larger than this is not one. */
const MAX_LOCK = 1024 * 1024;

/** A lock file's entries, checked for shape; bad input (exit 2) otherwise. */
export function readLock(path: string): Lock {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readNamed(path, MAX_LOCK).toString('utf8'));
  } catch (err) {
    throw usageError(
      `--lock ${path} is not a lock file (${err instanceof Error ? err.message : String(err)})`,
      'write one with qemu-binfmt lock all > FILE',
    );
  }
  const lock = parsed as Partial<Lock>;
  if (
    lock.lockVersion !== 1 ||
    !Array.isArray(lock.interpreters) ||
    lock.interpreters.some((i) => typeof i?.entry !== 'string' || !isAbsolute(String(i.interpreter)))
  )
    throw usageError(`--lock ${path} is not a lock file of this version`, 'write one with qemu-binfmt lock all > FILE');
  return lock as Lock;
}

const lockProblem = (platform: string, what: string): CheckProblem => onPlatform(platform, CONDITIONS.DIFFERS_FROM_LOCK(what));

/** Each way what is registered now differs from the lock, in words. */
export function lockDifferences(lock: Lock, now: readonly Provenance[], names: readonly string[] = []): CheckProblem[] {
  const problems: CheckProblem[] = [];
  // Only the platforms checked, when some are named.
  const named = names.length && !isAll(names) ? new Set(resolvePlatforms(names).map((p) => p.name)) : undefined;
  for (const locked of lock.interpreters.filter((l) => !named || named.has(l.platform))) {
    const current = now.find((p) => p.entry === locked.entry);
    if (!current) {
      problems.push(lockProblem(locked.platform, `${locked.entry} is in the lock but not registered`));
      continue;
    }
    for (const field of ['interpreter', 'version', 'sha256', 'size', 'static', 'package'] as const) {
      if (current[field] !== locked[field])
        problems.push(
          lockProblem(
            locked.platform,
            `${locked.entry}: ${field} ${JSON.stringify(current[field])} (lock: ${JSON.stringify(locked[field])})`,
          ),
        );
    }
  }
  for (const current of now)
    if (!lock.interpreters.some((l) => l.entry === current.entry))
      problems.push(lockProblem(current.platform, `${current.entry} is registered but not in the lock`));
  return problems;
}

export const lockOf = (interpreters: Provenance[]): Lock => ({ lockVersion: 1, interpreters });

/** The QEMU version a file carries, read from it; null when it carries none or cannot be read. */
function readVersion(path: string): string | null {
  try {
    return readQemuVersion(path) ?? null;
  } catch {
    return null;
  }
}
