import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Tree } from '../fs/tree.js';
import { shellQuote } from '../boot/quote.js';

/** Libraries of the C library itself, whose package is libc6 (or libc6.1 and friends elsewhere). */
const GLIBC = /^(ld-linux.*|ld64.*|ld\.so.*|libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libcrypt)\.so/;

/**
 * The Debian package that likely has a library, from its SONAME by Debian's naming rule (policy
 * 8.1: libfoo.so.1 is in libfoo1, libfoo2.so.3 in libfoo2-3, lower case, _ as -): a guess.
 */
function debianPackageGuess(library: string): string | undefined {
  const name = basename(library);
  if (GLIBC.test(name)) return 'libc6';
  const soname = /^(.+)\.so\.(\d+)/.exec(name);
  if (!soname) return undefined;
  const base = soname[1]!.toLowerCase().replace(/_/g, '-');
  return /\d$/.test(base) ? `${base}-${soname[2]}` : `${base}${soname[2]}`;
}

/** Whether dpkg on this machine knows the architecture (its native one, or one added with --add-architecture). */
function dpkgHasArchitecture(arch: string): boolean {
  try {
    return readFileSync('/var/lib/dpkg/arch', 'utf8').split('\n').includes(arch);
  } catch {
    return false;
  }
}

/**
 * What to do about a library (or the loader) a program lacks, as commands that can be followed
 * as written: on this machine, the package for the program's architecture, with the step that
 * adds the architecture when dpkg lacks it; in a root filesystem, the package unpacked into it.
 */
export function libraryFixes(library: string, arch: string | undefined, tree: Tree, platform: string | undefined): string[] {
  const pkg = debianPackageGuess(library);
  const sure = `apt-file search ${basename(library)} tells for sure`;
  const fixes: string[] = [];
  const add = pkg && arch && !dpkgHasArchitecture(arch) ? `dpkg --add-architecture ${arch} && apt-get update && ` : '';
  if (pkg && arch && !tree.isHost) {
    // Unpacked with this machine's apt and dpkg-deb, which need no apt in the root and touch no package database.
    fixes.push(
      `unpack ${pkg}:${arch} into the root filesystem (a guess from the library's name; ${sure}): ${add}apt-get download ${pkg}:${arch} && dpkg-deb -x ${pkg}_*_${arch}.deb ${shellQuote(tree.path)}`,
    );
  } else if (pkg && arch) {
    fixes.push(`install ${pkg}:${arch} (Debian; a guess from the library's name, ${sure}): ${add}apt-get install ${pkg}:${arch}`);
  } else fixes.push(`install the package that has ${basename(library)} (${sure})`);
  if (tree.isHost && platform)
    fixes.push(`or set QEMU_LD_PREFIX to a root filesystem that has ${library}, or explain it in one: qemu-binfmt explain FILE --root DIR`);
  return fixes;
}
