import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from build/test/...). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(ROOT, 'dist/cli.js');
/** Debian 13's QEMU 10 emulators, unpacked by scripts/setup.sh: the ones the tests find first on PATH. */
export const QEMU_10 = join(ROOT, '.cache/debian13/usr/bin');
/** Where the CLI finds its emulators first in the tests (host-guard.ts puts it first on PATH): Debian 13's QEMU 10, else the host's. */
export const EMULATORS = existsSync(join(QEMU_10, 'qemu-aarch64')) ? QEMU_10 : '/usr/bin';
/** The emulator the CLI finds first for a QEMU binary (qemu-aarch64). */
export const emulator = (binary: string) => `${EMULATORS}/${binary}-static`;
/** Text as a regular expression that matches it literally. */
export const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The host's systemd-binfmt, where systemd has it. */
export const SYSTEMD_BINFMT = ['/lib/systemd/systemd-binfmt', '/usr/lib/systemd/systemd-binfmt'].find((p) => existsSync(p));
/** Real foreign executables fetched by scripts/setup.sh. */
const FOREIGN = join(ROOT, '.cache/foreign');

const IN_CI = process.env.CI === 'true';

/** Skips with a printed reason, except under CI=true, where a skip is a failure. */
export function skipOrFail(ctx: Mocha.Context, reason: string): never {
  if (IN_CI) throw new Error(`cannot run under CI: ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}

/** The path of a fetched foreign executable, or a skip (a failure under CI) when it is missing. */
export function foreign(ctx: Mocha.Context, name: string): string {
  const path = join(FOREIGN, name);
  if (!existsSync(path)) skipOrFail(ctx, `${path} is missing: run scripts/setup.sh (make test does)`);
  return path;
}

/** binfmt-support's update-binfmts, unpacked by scripts/setup.sh (never installed: its postinst would touch the host). */
export const UPDATE_BINFMTS = join(ROOT, '.cache/binfmt-support/usr/sbin/update-binfmts');
