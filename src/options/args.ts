import { resolve } from 'node:path';
import { OPTIONS, PLAN_OPTIONS, type OptionDef, type OptionName, type PlanOptionValues } from './definitions.js';

/**
 * The command-line arguments that give these option values back, so that a written file can
 * say how to regenerate it and a boot unit can run enable exactly as export planned it.
 */
export function argsOf(values: object, names: readonly OptionName[]): string[] {
  const args: string[] = [];
  for (const name of names) {
    const def: OptionDef = OPTIONS[name];
    const value = (values as Readonly<Record<string, unknown>>)[def.key];
    if (value === undefined || value === def.implied) continue;
    if (typeof value === 'boolean') args.push(value ? `--${name}` : `--no-${name}`);
    // Absolute: a boot unit does not run in the directory this ran in.
    else for (const v of Array.isArray(value) ? value : [value]) args.push(`--${name}`, def.path ? resolve(String(v)) : String(v));
  }
  return args;
}

/** The arguments of the plan options (interpreter and flags) only. */
export function planArgs(values: PlanOptionValues): string[] {
  return argsOf(values, PLAN_OPTIONS);
}
