import { resolve } from 'node:path';
import { Tree } from '../fs/tree.js';
import { asQemuBinfmtError, QemuBinfmtError, usageError } from '../errors.js';
import type { Flags } from '../codec/flags.js';
import { CONDITIONS, type Condition } from '../conditions.js';
import { detectHost, nativeReason, thisKernel, type Host, type HostOptions } from './host.js';
import {
  describeSearch,
  DirectoryIndex,
  findInterpreter,
  inspectInterpreter,
  isExecutableIn,
  installHint,
  type InterpreterInfo,
  type InterpreterSearch,
} from './interpreter.js';
import { isAll, resolvePlatforms, type Platform } from '../table/platforms.js';
import { formatRegisterLine, type Registration } from '../codec/register-line.js';
import { VersionCache } from './version-cache.js';

/** Flag choices; undefined means "the documented default". */
export interface FlagOptions {
  /** F. Default: on when the interpreter is static. */
  fixBinary?: boolean;
  /** P. Default: on when the interpreter understands it. */
  preserveArgv0?: boolean;
  /** C (implies O). Default: off. */
  credentials?: boolean;
  /** O. Default: off. */
  openBinary?: boolean;
  /** Allow F with a dynamically linked interpreter. */
  allowDynamic?: boolean;
}

export interface PlanOptions extends InterpreterSearch, FlagOptions {
  /** Allow platforms of the host's own family (never ones whose rule captures host executables). */
  includeNative?: boolean;
  /** The target kernel runs its family's 32-bit programs (given); otherwise host.runs32 decides. */
  hostRuns32?: boolean;
  host?: HostOptions;
}

/** Options whose plan follows what the running kernel executes (enable, run, watch, check), unless told otherwise. */
export function onThisKernel<T extends PlanOptions>(options: T): T {
  return { ...options, host: thisKernel(options.host) };
}

export interface PlannedTarget {
  platform: Platform;
  interpreter: InterpreterInfo;
  registration: Registration;
  line: string;
  /** What was checked before writing, in words. */
  checks: string[];
}

/** A platform that all left out, and why. */
export interface Skipped {
  platform: string;
  reason: 'native' | 'no-interpreter';
  detail: string;
}

export interface Plan {
  targets: PlannedTarget[];
  /** Explicitly named platforms whose interpreter is missing: they fail, the rest go on. */
  missing: Array<{ platform: Platform; error: QemuBinfmtError }>;
  skipped: Skipped[];
  /** What works but carries a risk: the C flag chosen, a version cache that was not used. */
  conditions: Condition[];
  /** The host it was made for: what runs natively, which rules would capture its own programs. */
  host: Host;
}

/**
 * Turns names into validated register lines. Bad input throws (exit 2) before anything is written.
 */
export function planEnable(names: readonly string[], options: PlanOptions): Plan {
  const all = isAll(names);
  const platforms = resolvePlatforms(names);
  if (options.interpreter !== undefined && (all || platforms.length !== 1)) {
    throw usageError('--interpreter names the interpreter of one platform', 'name exactly one platform, or use --interpreter-dir DIR');
  }
  if (options.credentials && options.openBinary === false) {
    throw usageError(
      '--credentials implies O (the kernel opens the binary), so --no-open-binary contradicts it',
      'drop --no-open-binary, or --credentials',
    );
  }
  if (options.interpreter !== undefined && options.interpreterDir !== undefined) {
    throw usageError('--interpreter and --interpreter-dir exclude each other', 'give one of them');
  }
  const tree = Tree.of(options.root);
  try {
    return planIn(tree, all, platforms, options);
  } finally {
    tree.close();
  }
}

/** The plan in phases: the interpreter options checked, native platforms set apart, interpreters found and inspected, lines made. */
function planIn(tree: Tree, all: boolean, platforms: readonly Platform[], options: PlanOptions): Plan {
  checkInterpreterOptions(tree, options);
  const plan: Plan = {
    targets: [],
    missing: [],
    skipped: [],
    conditions: options.credentials ? [CONDITIONS.CREDENTIALS()] : [],
    host: detectHost({ ...options.host, ...(options.hostRuns32 !== undefined ? { runs32: options.hostRuns32 } : {}) }),
  };
  const candidates = notNative(all, platforms, options, plan);
  const askP = options.preserveArgv0 === undefined;
  const infos = inspectAll(tree, candidates, options, askP, plan);
  candidates.forEach((platform, i) => {
    const info = infos[i];
    if (info instanceof QemuBinfmtError) plan.missing.push({ platform, error: info });
    else if (info === undefined) {
      const detail = `interpreter not found: looked for ${describeSearch(platform, options)}`;
      if (all) plan.skipped.push({ platform: platform.name, reason: 'no-interpreter', detail });
      else plan.missing.push({ platform, error: new QemuBinfmtError('INTERPRETER_NOT_FOUND', detail, { hint: installHint(platform) }) });
    } else plan.targets.push(targetOf(platform, info, options, askP));
  });
  if (all && plan.targets.length === 0 && plan.missing.length === 0) {
    throw new QemuBinfmtError(
      'INTERPRETER_NOT_FOUND',
      `no interpreter found for any platform (looked in ${describeSearch(platforms[0]!, options).replace(/^.* in /, '')})`,
      { hint: installHint(platforms[0]!) },
    );
  }
  return plan;
}

/** --interpreter-dir and --interpreter name what they must, in the root: bad input otherwise. */
function checkInterpreterOptions(tree: Tree, options: PlanOptions): void {
  if (options.interpreterDir !== undefined && !tree.stat(resolve(options.interpreterDir))?.isDirectory()) {
    const under = tree.isHost ? '' : ` under ${tree.path}`;
    throw usageError(
      `--interpreter-dir ${options.interpreterDir} is not a directory${under}`,
      'name the directory that holds qemu-<binary>-static or qemu-<binary>',
    );
  }
  if (options.interpreter !== undefined && !isExecutableIn(tree, resolve(options.interpreter))) {
    throw usageError(
      `--interpreter ${options.interpreter} is not an executable file`,
      'name the emulator binary itself, e.g. /usr/bin/qemu-aarch64-static',
    );
  }
}

/** The platforms this host does not run natively (all skips the others; named, they are refused). */
function notNative(all: boolean, platforms: readonly Platform[], options: PlanOptions, plan: Plan): Platform[] {
  const { host } = plan;
  return platforms.filter((platform) => {
    const native = nativeReason(platform, host);
    if (native?.reason === 'captures-host') {
      const detail = `its rule matches this host's own ${native.executable}; registering it would run host programs through QEMU`;
      if (!all) throw new QemuBinfmtError('CAPTURES_HOST', `refusing ${platform.name}: ${detail}`, { hint: 'this is never allowed' });
      plan.skipped.push({ platform: platform.name, reason: 'native', detail });
      return false;
    }
    if (native?.reason === 'family' && !options.includeNative) {
      const detail = `the host (${host.machine}) is of the ${platform.family} family and runs it natively`;
      if (!all)
        throw new QemuBinfmtError('NATIVE_PLATFORM', `refusing ${platform.name}: ${detail}`, {
          hint: 'add --include-native to register it anyway',
        });
      plan.skipped.push({ platform: platform.name, reason: 'native', detail });
      return false;
    }
    return true;
  });
}

/** Each platform's interpreter found and inspected (a file once, however many rules share it: microblaze's). */
function inspectAll(
  tree: Tree,
  candidates: readonly Platform[],
  options: PlanOptions,
  askP: boolean,
  plan: Plan,
): Array<InterpreterInfo | QemuBinfmtError | undefined> {
  const index = new DirectoryIndex(tree);
  const cache = new VersionCache();
  const inspected = new Map<string, InterpreterInfo | QemuBinfmtError>();
  const inspect = (path: string) => {
    let info = inspected.get(path);
    if (!info) {
      try {
        info = inspectInterpreter(path, askP, tree, cache);
      } catch (err) {
        info = asQemuBinfmtError(err);
      }
      inspected.set(path, info);
    }
    return info;
  };
  const infos = candidates
    .map((p) => findInterpreter(p, options, index, tree))
    .map((path) => (path === undefined ? undefined : inspect(path)));
  cache.save();
  if (cache.condition) plan.conditions.push(cache.condition);
  return infos;
}

/** A platform's validated register line, with what was checked. */
function targetOf(platform: Platform, info: InterpreterInfo, options: PlanOptions, askP: boolean): PlannedTarget {
  const registration: Registration = {
    name: platform.entryName,
    rule: platform.rule,
    interpreter: info.path,
    flags: chooseFlags(platform, info, options),
  };
  const line = formatRegisterLine(registration);
  const checks = [
    `line meets the kernel's rules (${line.length} bytes)`,
    info.isStatic ? 'interpreter is statically linked' : 'interpreter is dynamically linked (or not ELF)',
    ...(askP ? [info.supportsPreserveArgv0 ? 'interpreter understands P' : 'interpreter does not understand P'] : []),
  ];
  return { platform, interpreter: info, registration, line, checks };
}

/** Applies the documented defaults and refuses unsafe combinations. */
export function chooseFlags(platform: Platform, info: InterpreterInfo, options: FlagOptions): Flags {
  const fixBinary = options.fixBinary ?? info.isStatic;
  if (fixBinary && !info.isStatic && !options.allowDynamic) {
    throw new QemuBinfmtError(
      'DYNAMIC_INTERPRETER',
      `${platform.name}: ${info.path} is dynamically linked (or not ELF); with F it fails inside chroots and containers, where its libraries are missing`,
      { path: info.path, hint: 'install the static emulator (qemu-user-static), drop --fix-binary, or add --allow-dynamic' },
    );
  }
  const credentials = options.credentials ?? false;
  return {
    preserveArgv0: options.preserveArgv0 ?? info.supportsPreserveArgv0,
    openBinary: (options.openBinary ?? false) || credentials,
    credentials,
    fixBinary,
  };
}
