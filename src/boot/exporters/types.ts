import type { PlannedTarget } from '../../plan/plan.js';
import type { BootChoice } from '../../plan/preferences.js';

export interface ExportContext {
  /** Validated registrations, one per platform. */
  targets: readonly PlannedTarget[];
  /** The command line that regenerates the files. */
  regenerate: string;
  /** How boot units run qemu-binfmt: absolute node and CLI paths. */
  command: readonly string[];
  /** enable options that reproduce the plan (interpreter and flags). */
  enableArgs: readonly string[];
  /** Directories (relative to the root) that writing these files creates. */
  createdDirs?: readonly string[];
  /** By platform: whether ours must load last, and the emulators it yields to at boot (plan/preferences.ts). */
  choices?: ReadonlyMap<string, BootChoice>;
}

export interface ExportFile {
  /** File name, relative to the output directory. */
  name: string;
  content: string;
  mode: number;
}

export type Exporter = (context: ExportContext) => ExportFile[];

/** Comment lines naming what a unit or script registers, read back by status to detect drift. */
export const REGISTERS_PREFIX = '# registers: ';

/**
 * What a boot unit or init script runs: start registers the platforms (replacing a same-named
 * entry another boot service loaded, as the sh script does), stop removes exactly them; and the
 * comment lines that record what it registers.
 */
export function bootCommands({ targets, command, enableArgs }: ExportContext) {
  const platforms = targets.map((t) => t.platform.name);
  return {
    platforms,
    start: [...command, 'enable', '--mount', '--force', ...enableArgs, ...platforms],
    stop: [...command, 'disable', ...platforms],
    registers: targets.map((t) => `${REGISTERS_PREFIX}${t.line.trimEnd()}`),
  };
}
