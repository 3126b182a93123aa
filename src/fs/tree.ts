import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lchownSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoOf, QemuBinfmtError } from '../errors.js';

/**
 * A directory tree that someone else may own (an image, a chroot, a root filesystem, an output
 * directory), held open by a descriptor, so that nothing in it can turn an operation of ours
 * against the rest of the system. Every path is resolved as if the tree were the root: step by
 * step from the directory held open before it (Node has no openat(2), but /proc/self/fd/N/NAME
 * looks NAME up inside the directory held as N), each step opened without following it,
 * symbolic links read and followed inside the tree (an absolute target starts again at its
 * root, `..` stops there), so there is no window between a check and a use for a swapped link
 * to slip into. This is what systemd's chase() and runc's securejoin do.
 *
 * The host's own root is trusted (root owns it): its reads take plain paths.
 */

/** open(2)'s O_PATH (asm-generic and x86): a place held without reading it. */
const O_PATH = 0o10000000;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
/** As the kernel: at most 40 links followed in one resolution. */
const MAX_LINKS = 40;
/** The most any file read from a tree may hold: more is not a file of the kind read here. */
const MAX_READ = 4 * 1024 * 1024;

const at = (fd: number, name?: string): string => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`);
const parts = (path: string): string[] => path.split('/').filter((p) => p !== '' && p !== '.');

/** A file of the tree held open: `path` reaches exactly it (for readers that take a path), until close. */
export interface HeldFile {
  path: string;
  stat: Stats;
  close(): void;
}

/** Where a walk ended: the directory that holds the last name, and what is there (undefined: nothing). */
interface Place {
  dir: number;
  name: string;
  /** Held open with O_PATH, not followed. */
  fd?: number | undefined;
  stat?: Stats;
  /** The path inside the tree, links resolved. */
  inside: string;
  /** Directories opened on the way (the dir among them unless it is the root): closed by done(). */
  held: number[];
}

/**
 * The host's walks go only where a user who owns a step could not have sent them (systemd's
 * CHASE_SAFE): from a place of another user's (not root's, not the caller's own) only to what
 * that user owns too.
 */
function checkStep(from: Stats, to: Stats, path: string): void {
  if (from.uid !== 0 && from.uid !== process.getuid?.() && from.uid !== to.uid)
    throw unsafe(
      path,
      `is reached through a place of uid ${from.uid} but belongs to uid ${to.uid}: that user could send it anywhere`,
      'name the place itself, by a path that only root or its owner controls',
    );
}

/** NAME in the directory held as dir, held without following it (its owner checked from `from`, on the host); undefined when missing. */
function openStep(dir: number, name: string, from: Stats | undefined, shown: string): { fd: number; stat: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(at(dir, name), O_PATH | O_NOFOLLOW);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  const stat = fstatSync(fd);
  try {
    if (from) checkStep(from, stat, shown);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return { fd, stat };
}

/** What a link says now (it is resolved inside the tree); undefined when it is no link any more. */
function linkTarget(dir: number, name: string): string | undefined {
  try {
    return readlinkSync(at(dir, name));
  } catch (err) {
    if (['EINVAL', 'ENOENT'].includes(errnoOf(err) ?? '')) return undefined;
    throw err;
  }
}

function unsafe(path: string, why: string, hint: string): QemuBinfmtError {
  return new QemuBinfmtError('UNSAFE_PATH', `${path} ${why}, so nothing was done there`, { path, hint });
}

export class Tree {
  private rootFd: number | undefined;

  private constructor(
    /** The tree's directory, as given (for messages). */
    readonly path: string,
    /** The host's own root: trusted, read by plain paths. */
    readonly isHost: boolean,
  ) {}

  /** The host's own root (/). */
  static host(): Tree {
    return new Tree('/', true);
  }

  /**
   * A tree that others may control, held open from now on. The directory named is reached from
   * / as the host's walks go: a link or a step that a user other than root owns may lead only to
   * what that user owns.
   */
  static open(dir: string): Tree {
    const tree = new Tree(resolve(dir), false);
    const host = Tree.host();
    try {
      const place = host.walk(tree.path, true);
      if (!place.stat?.isDirectory()) {
        host.done(place);
        throw Object.assign(new Error('not a directory'), { code: place.stat ? 'ENOTDIR' : 'ENOENT' });
      }
      tree.rootFd = place.fd;
      place.fd = undefined;
      host.done(place);
    } catch (err) {
      if (err instanceof QemuBinfmtError && err.code === 'UNSAFE_PATH') throw err;
      throw new QemuBinfmtError('IO', `cannot open the directory ${tree.path}${errnoOf(err) ? ` (${errnoOf(err)})` : ''}`, {
        path: tree.path,
        cause: err,
        hint: 'name an existing directory',
      });
    } finally {
      host.close();
    }
    return tree;
  }

  /**
   * A file named by the user (--lock, --platforms-file, a program to explain), held open when it
   * is a regular file: reached from / as the host's walks go, so a link of another user's cannot
   * lend it a file of root's. Undefined when nothing is there.
   */
  static openNamed(path: string): HeldFile | undefined {
    const host = Tree.host();
    try {
      return host.openFile(resolve(path), true);
    } finally {
      host.close();
    }
  }

  /** Makes a directory the user named and those above it that are missing, the way the host's walks go. */
  static makeDirs(path: string): void {
    const host = Tree.host();
    try {
      host.mkdirs(resolve(path));
    } finally {
      host.close();
    }
  }

  /** The descriptor the tree is held by (O_PATH), for a child process to be handed. */
  get descriptor(): number {
    return this.root;
  }

  /**
   * The directory held open as fd (inherited), as a tree: its paths resolve inside it as in any
   * tree. shown names it in messages.
   */
  static fromDescriptor(fd: number, shown: string): Tree {
    const tree = new Tree(shown, false);
    tree.rootFd = openSync(at(fd), O_PATH | O_DIRECTORY);
    return tree;
  }

  /** The host for / or no root at all; a held tree for anything else. */
  static of(root: string | undefined): Tree {
    return root === undefined || resolve(root) === '/' ? Tree.host() : Tree.open(root);
  }

  close(): void {
    if (this.rootFd !== undefined) closeSync(this.rootFd);
    this.rootFd = undefined;
  }

  /** How a path inside the tree is named in messages: under the tree's directory. */
  show(inside: string): string {
    return join(this.path, inside);
  }

  private get root(): number {
    this.rootFd ??= openSync('/', O_PATH | O_DIRECTORY);
    return this.rootFd;
  }

  /**
   * Walks to `inside`. Every directory on the way is held open; links are read and followed
   * inside the tree (the last one only with followLast); with noLinks any link is an error.
   * Stops at the first name that is missing (its directory and name are returned).
   */
  private walk(inside: string, followLast: boolean, noLinks = false): Place & { rest: string[] } {
    const held: number[] = [];
    try {
      return this.steps(inside, followLast, noLinks, held);
    } catch (err) {
      for (const fd of held) closeSync(fd);
      if (err instanceof QemuBinfmtError) throw err;
      const errno = errnoOf(err);
      throw new QemuBinfmtError('IO', `cannot resolve ${this.show(inside)} inside ${this.path}${errno ? ` (${errno})` : ''}`, {
        path: this.show(inside),
        cause: err,
        hint: 'something on the way is not a readable directory, or it changed meanwhile: check it, then run this again',
      });
    }
  }

  /** The steps of a walk, each directory on the way pushed onto held. */
  private steps(inside: string, followLast: boolean, noLinks: boolean, held: number[]): Place & { rest: string[] } {
    /** The stat of each directory held (the host's walks check every step's owner). */
    const stats: Stats[] = [];
    const names: string[] = [];
    const queue = parts(inside);
    let links = 0;
    const dirFd = () => held.at(-1) ?? this.root;
    const rootStat = this.isHost ? fstatSync(this.root) : undefined;
    const here = () => stats.at(-1) ?? rootStat!;
    const shown = (name: string) => this.show('/' + [...names, name].join('/'));
    while (queue.length) {
      const name = queue.shift()!;
      if (name === '..') {
        if (held.length) {
          const from = stats.pop()!;
          if (rootStat) checkStep(from, here(), shown('..'));
          closeSync(held.pop()!);
        }
        names.pop();
        continue;
      }
      const dir = dirFd();
      const path = shown(name);
      const opened = openStep(dir, name, rootStat && here(), path);
      if (!opened) return { dir, name, inside: '/' + [...names, name].join('/'), held, rest: queue };
      const { fd, stat } = opened;
      const last = queue.length === 0;
      if (stat.isSymbolicLink() && (!last || followLast)) {
        closeSync(fd);
        if (noLinks) throw unsafe(path, 'is a symbolic link', 'replace it with a real directory or file');
        if (++links > MAX_LINKS) throw Object.assign(new Error(`too many symbolic links resolving ${inside}`), { code: 'ELOOP' });
        const target = linkTarget(dir, name);
        // No link any more: looked at again.
        if (target === undefined) queue.unshift(name);
        else {
          if (target.startsWith('/')) {
            for (const fd of held.splice(0)) closeSync(fd);
            stats.length = 0;
            names.length = 0;
          }
          if (rootStat) checkStep(stat, here(), path);
          queue.unshift(...parts(target));
        }
        continue;
      }
      if (last) return { dir, name, fd, stat, inside: '/' + [...names, name].join('/'), held, rest: [] };
      if (!stat.isDirectory()) {
        closeSync(fd);
        throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
      }
      held.push(fd);
      stats.push(stat);
      names.push(name);
    }
    // The tree's root itself, or a path that ends with ..: the directory reached.
    const fd = openSync(at(dirFd()), O_PATH | O_DIRECTORY);
    return { dir: dirFd(), name: '.', fd, stat: fstatSync(fd), inside: '/' + names.join('/'), held, rest: [] };
  }

  private done(place: Place): void {
    if (place.fd !== undefined) closeSync(place.fd);
    for (const fd of place.held) closeSync(fd);
  }

  /** What is at a path, links followed inside the tree (lstat with follow=false); undefined when nothing is. */
  stat(inside: string, follow = true): Stats | undefined {
    try {
      if (this.isHost) return (follow ? statSync : lstatSync)(join('/', inside));
      const place = this.walk(inside, follow);
      this.done(place);
      return place.stat;
    } catch (err) {
      if (['ENOTDIR', 'ELOOP', 'ENOENT'].includes(errnoOf(err) ?? '')) return undefined;
      throw err;
    }
  }

  exists(inside: string): boolean {
    return this.stat(inside) !== undefined;
  }

  /** The path inside the tree with every link resolved; undefined when it does not exist. */
  realpath(inside: string): string | undefined {
    if (this.isHost) {
      try {
        return realpathSync(join('/', inside));
      } catch {
        return undefined;
      }
    }
    try {
      const place = this.walk(inside, true);
      this.done(place);
      return place.stat ? place.inside : undefined;
    } catch {
      return undefined;
    }
  }

  readlink(inside: string): string | undefined {
    if (this.isHost) {
      try {
        return readlinkSync(join('/', inside));
      } catch {
        return undefined;
      }
    }
    try {
      const place = this.walk(inside, false);
      try {
        return place.stat?.isSymbolicLink() ? readlinkSync(at(place.dir, place.name)) : undefined;
      } finally {
        this.done(place);
      }
    } catch {
      return undefined;
    }
  }

  /** The names in a directory ([] when it is missing or not one). */
  readdir(inside: string): string[] {
    if (this.isHost) {
      try {
        return readdirSync(join('/', inside));
      } catch {
        return [];
      }
    }
    try {
      const place = this.walk(inside, true);
      try {
        return place.stat?.isDirectory() ? readdirSync(at(place.fd!)) : [];
      } finally {
        this.done(place);
      }
    } catch {
      return [];
    }
  }

  /**
   * Holds a regular file open (links followed inside the tree): the returned path reaches
   * exactly that file until close. Undefined when nothing is there; an error when something
   * other than a regular file is. The host's trusted files are taken by their path, unless walked.
   */
  openFile(inside: string, walked = !this.isHost): HeldFile | undefined {
    if (!walked) {
      const path = join('/', inside);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) return undefined;
      if (!stat.isFile()) throw notRegular(path);
      return { path, stat, close: () => undefined };
    }
    let place: Place;
    try {
      place = this.walk(inside, true);
    } catch (err) {
      if (['ENOTDIR', 'ELOOP'].includes(errnoOf(err) ?? '')) return undefined;
      throw err;
    }
    if (!place.stat) {
      this.done(place);
      return undefined;
    }
    if (!place.stat.isFile()) {
      this.done(place);
      throw notRegular(this.show(inside));
    }
    const fd = place.fd!;
    for (const d of place.held) closeSync(d);
    return { path: at(fd), stat: place.stat, close: () => closeSync(fd) };
  }

  /** A regular file's content (undefined when missing); a FIFO, device or directory is refused without blocking, and so is one over `max` bytes. */
  readFile(inside: string, max = MAX_READ): Buffer | undefined {
    const held = this.openFile(inside);
    if (!held) return undefined;
    try {
      return readRegular(held.path, this.show(inside), max);
    } finally {
      held.close();
    }
  }

  /**
   * Makes the directories of a path that are missing (0755), one at a time in the directory
   * held open above it. Links on the way are followed inside the tree with followLinks (the
   * host's default), refused without (a tree's default).
   */
  mkdirs(inside: string, followLinks = this.isHost): void {
    // Each turn makes one directory; a path deeper than this, or one that keeps vanishing, is refused.
    for (let turn = 0; turn < 256; turn++) {
      const place = this.walk(inside, true, !followLinks);
      try {
        if (place.stat) {
          if (!place.stat.isDirectory()) throw unsafe(this.show(place.inside), 'is not a directory', 'move it away');
          return;
        }
        this.make(place, () => {
          mkdirSync(at(place.dir, place.name), 0o755);
          // In a directory of another user's (the host's walks), what is made is that user's too.
          const parent = fstatSync(place.dir);
          if (this.isHost && parent.uid !== 0) lchownSync(at(place.dir, place.name), parent.uid, parent.gid);
        });
      } finally {
        this.done(place);
      }
    }
    throw unsafe(
      this.show(inside),
      'could not be made (what was made kept vanishing)',
      'make sure no one else changes it, then run this again',
    );
  }

  /**
   * Writes a file atomically: a new file beside it, written and synced, then renamed over it,
   * so that a crash leaves the old file or the new one. A link (or anything but a regular file)
   * where the file should be is refused; an existing file keeps its owner and its permission bits
   * (not setuid, setgid or sticky). Missing directories are made.
   */
  writeFile(inside: string, content: string | Uint8Array, mode = 0o644): void {
    this.mkdirs(join(inside, '..'));
    const place = this.walk(inside, false, !this.isHost);
    const shown = this.show(inside);
    let temp: string | undefined;
    try {
      if (place.rest.length) throw unsafe(shown, 'lost its directory while being written', 'write it again');
      if (place.stat && !place.stat.isFile())
        throw unsafe(
          shown,
          place.stat.isSymbolicLink() ? 'is a symbolic link; refusing to write through it' : 'exists and is not a file',
          'move it away, or choose another place',
        );
      removeStaleTemps(place.dir, place.name);
      temp = `${tempPrefix(place.name)}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const fd = openSync(at(place.dir, temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        const bytes = typeof content === 'string' ? Buffer.from(content) : content;
        for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
        if (place.stat) {
          fchownSync(fd, place.stat.uid, place.stat.gid);
          // Never the setuid, setgid or sticky bits of what it replaces.
          fchmodSync(fd, place.stat.mode & 0o777);
        } else fchmodSync(fd, mode);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(at(place.dir, temp), at(place.dir, place.name));
      temp = undefined;
      syncDir(place.dir);
    } catch (err) {
      if (temp !== undefined) unlinkQuietly(at(place.dir, temp));
      throw err instanceof QemuBinfmtError ? err : writeFailed(shown, err);
    } finally {
      this.done(place);
    }
  }

  /** Makes a symbolic link (its directories too); refuses to replace anything. */
  symlink(target: string, inside: string): void {
    this.mkdirs(join(inside, '..'));
    const place = this.walk(inside, false, !this.isHost);
    try {
      if (place.stat || place.rest.length) throw unsafe(this.show(inside), 'appeared while being made', 'run it again');
      symlinkSync(target, at(place.dir, place.name));
      syncDir(place.dir);
    } finally {
      this.done(place);
    }
  }

  /** Removes a file or link (never what a link points to); a directory with rmdir. Missing: nothing to do. */
  remove(inside: string): void {
    const place = this.walk(inside, false, !this.isHost);
    try {
      if (!place.stat || place.name === '.') return;
      if (place.stat.isDirectory()) rmdirSync(at(place.dir, place.name));
      else unlinkSync(at(place.dir, place.name));
    } finally {
      this.done(place);
    }
  }

  /**
   * Holds the place at a path for a mount: the existing file or directory of that kind, or one
   * made now (an empty file, or a directory). With followLinks the tree's links are followed
   * inside it, as a chroot sees its own paths; without, a link on the way is refused. Something
   * of the other kind is refused. The descriptor (O_PATH) is what a mount goes onto:
   * /proc/self/fd/N reaches exactly it.
   */
  holdMountPoint(inside: string, kind: 'file' | 'directory', followLinks = false): { fd: number; inside: string } {
    const place = this.walk(this.walkParent(inside, followLinks), followLinks, !followLinks);
    try {
      if (!place.stat && !place.rest.length) {
        // Made and opened in the directory held open: what is held is what was made.
        const path = at(place.dir, place.name);
        this.make(place, () => {
          if (kind === 'directory') {
            mkdirSync(path, 0o755);
            place.fd = openSync(path, O_PATH | O_DIRECTORY | O_NOFOLLOW);
          } else place.fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
        });
        place.stat = fstatSync(place.fd!);
      }
      const isKind = kind === 'directory' ? place.stat?.isDirectory() : place.stat?.isFile();
      if (!isKind)
        throw unsafe(
          this.show(inside),
          place.stat?.isSymbolicLink() ? 'is a symbolic link' : `is not a ${kind}`,
          `replace it with a ${kind}, or remove it`,
        );
      const fd = place.fd!;
      place.fd = undefined;
      return { fd, inside: place.inside };
    } finally {
      this.done(place);
    }
  }

  /** Makes what is missing at a place; a failure names the path, not the descriptor it was made through. */
  private make(place: Place, how: () => void): void {
    try {
      how();
    } catch (err) {
      const errno = errnoOf(err);
      throw new QemuBinfmtError('IO', `${this.show(place.inside)} is missing and cannot be made${errno ? ` (${errno})` : ''}`, {
        path: this.show(place.inside),
        cause: err,
        ...(errno ? { errno } : {}),
        hint: WRITE_HINTS[errno ?? ''] ?? 'make it, or make the directory it is in writable',
      });
    }
  }

  /** A path whose directories exist (made when missing), as the inside path of that directory plus the last name. */
  private walkParent(inside: string, followLinks: boolean): string {
    const names = parts(inside);
    const last = names.pop();
    this.mkdirs(names.join('/'), followLinks);
    const dir = followLinks ? this.realpath(names.join('/')) : '/' + names.join('/');
    if (dir === undefined || last === undefined || last === '..')
      throw unsafe(this.show(inside), 'has no place to be made', 'name a file path');
    return join(dir, last);
  }

  /** The place at a path, held (O_PATH, not followed) for a check and a mount operation; undefined when missing. */
  hold(inside: string): { fd: number; stat: Stats } | undefined {
    let place: Place;
    try {
      place = this.walk(inside, false, !this.isHost);
    } catch {
      return undefined;
    }
    const { fd, stat } = place;
    place.fd = undefined;
    this.done(place);
    return fd === undefined ? undefined : { fd, stat: stat! };
  }
}

function syncDir(dir: number): void {
  const fd = openSync(at(dir), O_RDONLY | O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function notRegular(path: string): QemuBinfmtError {
  return new QemuBinfmtError('NOT_A_FILE', `${path} is not a regular file`, { path, hint: 'name a regular file' });
}

/** A new file is written beside its target under this name, then renamed over it. */
const tempPrefix = (name: string) => `.${name}.qemu-binfmt-`;

/** Removes what a writer that was killed left beside a file: temporary files of processes that are gone. */
function removeStaleTemps(dir: number, name: string): void {
  const prefix = tempPrefix(name);
  for (const entry of readdirSync(at(dir))) {
    const pid = entry.startsWith(prefix) ? Number(/^(\d+)-[a-z0-9]+$/.exec(entry.slice(prefix.length))?.[1]) : NaN;
    if (Number.isInteger(pid) && !isAlive(pid)) unlinkQuietly(at(dir, entry));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

const WRITE_HINTS: Record<string, string> = {
  ENOSPC: 'free space on its disk, then run this again',
  EDQUOT: 'free space within your disk quota, then run this again',
  EROFS: 'its filesystem is mounted read-only: remount it read-write, or choose another place',
  EACCES: 'its directory is not writable for this user: run as its owner or root, or choose another place',
  EPERM: 'its directory is not writable for this user: run as its owner or root, or choose another place',
};

function writeFailed(path: string, err: unknown): QemuBinfmtError {
  const errno = errnoOf(err);
  return new QemuBinfmtError('IO', `cannot write ${path}${errno ? ` (${errno})` : ''}; it was left as it was`, {
    path,
    cause: err,
    hint: WRITE_HINTS[errno ?? ''] ?? 'check that its directory is writable, then run this again',
  });
}

/**
 * Reads a regular file, at most max bytes: it is looked at (O_PATH, which opens nothing) before
 * it is opened, so a FIFO or a device in its place is refused without blocking or side effects.
 */
function readRegular(path: string, shown = path, max = MAX_READ): Buffer {
  const ref = openSync(path, O_PATH);
  try {
    const stat = fstatSync(ref);
    if (!stat.isFile()) throw notRegular(shown);
    if (stat.size > max) throw tooLarge(shown, `is ${stat.size} bytes`, max);
    const fd = openSync(at(ref), O_RDONLY | O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(Math.min(stat.size, max) + 1);
      let length = 0;
      for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0;) length += n;
      if (length > max) throw tooLarge(shown, 'grew', max);
      return buffer.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(ref);
  }
}

function tooLarge(shown: string, what: string, max: number): QemuBinfmtError {
  return new QemuBinfmtError('UNSAFE_PATH', `${shown} ${what}, more than the ${max} such a file may hold`, {
    path: shown,
    hint: 'name the right file',
  });
}

/** A file the user named, read whole (at most max bytes) through Tree.openNamed. */
export function readNamed(path: string, max: number): Buffer {
  const held = Tree.openNamed(path);
  if (!held) throw Object.assign(new Error(`${path} does not exist`), { code: 'ENOENT' });
  try {
    return readRegular(held.path, path, max);
  } finally {
    held.close();
  }
}
