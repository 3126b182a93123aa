import data from '../../platforms/qemu-facts.json' with { type: 'json' };
import { CONDITIONS, type Condition } from '../conditions.js';
import { emulatorBuild, type InterpreterInfo } from './interpreter.js';
import type { Platform } from '../table/platforms.js';

/** A known problem of QEMU's user-mode emulators (platforms/qemu-facts.json). */
export interface QemuFact {
  code: string;
  /** The first version affected; null: every earlier one. */
  first: string | null;
  /** The last version affected; null: no bound. */
  last: string | null;
  /** The first fixed release of each branch that got the fix; the highest fixes every later version. */
  fixedIn: string[];
  /** Only this kind of build: static-non-pie, a static ELF of type ET_EXEC. */
  build?: string;
  platforms: string[] | 'all';
  symptom: string;
  source: string;
  fix: string;
}

export const QEMU_FACTS: readonly QemuFact[] = (data as { facts: QemuFact[] }).facts;

/** What the facts are judged by: the version an emulator carries, and how it was built. */
export interface EmulatorBuild {
  /** "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"; null when the file carries none, undefined when not read. */
  version?: string | null;
  /** A static ELF of type ET_EXEC. */
  staticNonPie: boolean;
}

type Triple = [number, number, number];

function parse(version: string | null | undefined): Triple | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const compare = (a: Triple, b: Triple) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether a version lies in a fact's range and no fix covers it. */
export function versionAffected(fact: Pick<QemuFact, 'first' | 'last' | 'fixedIn'>, version: string | null | undefined): boolean {
  const v = parse(version);
  if (!v) return false;
  if (fact.first !== null && compare(v, parse(fact.first)!) < 0) return false;
  if (fact.last !== null && compare(v, parse(fact.last)!) > 0) return false;
  const fixes = fact.fixedIn.map((f) => parse(f)!);
  const highest = fixes.reduce<Triple | undefined>((h, f) => (h && compare(h, f) > 0 ? h : f), undefined);
  if (highest && compare(v, highest) >= 0) return false;
  return !fixes.some((f) => f[0] === v[0] && f[1] === v[1] && v[2] >= f[2]);
}

/** The facts that apply to an emulator of a platform. */
function factsFor(platform: Pick<Platform, 'name'>, build: EmulatorBuild): QemuFact[] {
  return QEMU_FACTS.filter(
    (fact) =>
      (fact.platforms === 'all' || fact.platforms.includes(platform.name)) &&
      (fact.build === 'static-non-pie' ? build.staticNonPie : versionAffected(fact, build.version)),
  );
}

/** A warning for each known problem of an emulator of the platform. */
export function knownProblems(platform: Pick<Platform, 'name'>, build: EmulatorBuild): Condition[] {
  return factsFor(platform, build).map((fact) => CONDITIONS.QEMU_KNOWN_PROBLEM(build.version, fact));
}

/** The known problems of the emulator at a path: as the plan read it when it is the planned one, else read now (its version remembered). */
export function knownProblemsAt(platform: Pick<Platform, 'name'>, path: string, planned: InterpreterInfo): Condition[] {
  const build = path === planned.path ? planned : emulatorBuild(path);
  return build ? knownProblems(platform, build) : [];
}
