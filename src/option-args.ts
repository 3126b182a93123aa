import { resolve } from 'node:path';
import type { PlanOptions } from './plan.js';

/**
 * The command-line options that reproduce these plan options, so that a written file can say
 * how to regenerate it and a boot unit can run enable exactly as export planned it.
 */
export function optionArgs(options: PlanOptions): string[] {
  const args: string[] = [];
  const bool = (name: string, value: boolean | undefined) => {
    if (value !== undefined) args.push(value ? `--${name}` : `--no-${name}`);
  };
  // Absolute: a boot unit does not run in the directory this ran in.
  if (options.interpreter !== undefined) args.push('--interpreter', resolve(options.interpreter));
  if (options.interpreterDir !== undefined) args.push('--interpreter-dir', resolve(options.interpreterDir));
  bool('fix-binary', options.fixBinary);
  bool('preserve-argv0', options.preserveArgv0);
  bool('credentials', options.credentials);
  bool('open-binary', options.openBinary);
  if (options.allowDynamic) args.push('--allow-dynamic');
  if (options.includeNative) args.push('--include-native');
  return args;
}
