import type { Argv } from 'yargs';
import type { PlanOptions } from '../plan.js';
import { defined } from './output.js';

/** The options enable, export and persist share: interpreter discovery and flags. */
export interface PlanArgs {
  platforms: string[];
  interpreter?: string;
  'interpreter-dir'?: string;
  'fix-binary'?: boolean;
  'preserve-argv0'?: boolean;
  credentials?: boolean;
  'open-binary'?: boolean;
  'allow-dynamic'?: boolean;
  'include-native'?: boolean;
}

export function withPlanOptions(y: Argv): Argv {
  return y
    .positional('platforms', { type: 'string', array: true, demandOption: true, describe: 'platforms or aliases, or all' })
    .option('interpreter', { type: 'string', describe: 'the interpreter to register (one platform only)' })
    .option('interpreter-dir', { type: 'string', describe: 'look for qemu-<binary>-static / qemu-<binary> only in this directory' })
    .option('fix-binary', {
      type: 'boolean',
      describe: 'F: the kernel opens the interpreter now, so it works in chroots and containers [default: on for a static interpreter]',
    })
    .option('preserve-argv0', {
      type: 'boolean',
      describe: 'P: pass argv[0] on (busybox applets need it) [default: on when the interpreter understands it]',
    })
    .option('credentials', {
      type: 'boolean',
      describe:
        'C (implies O): setuid/setgid foreign binaries (sudo in an arm64 container) work, and so their interpreter runs with those rights, root included: any flaw in QEMU is then a root flaw [default: off]',
    })
    .option('open-binary', { type: 'boolean', describe: 'O: the kernel opens the binary, so unreadable (execute-only) binaries run [default: off]' })
    .option('allow-dynamic', { type: 'boolean', describe: 'allow F with a dynamically linked interpreter (breaks in chroots)' })
    .option('include-native', { type: 'boolean', describe: "allow platforms of the host's own family (e.g. arm on aarch64)" });
}

export function planOptionsOf(argv: PlanArgs): PlanOptions {
  return defined({
    interpreter: argv.interpreter,
    interpreterDir: argv['interpreter-dir'],
    fixBinary: argv['fix-binary'],
    preserveArgv0: argv['preserve-argv0'],
    credentials: argv.credentials,
    openBinary: argv['open-binary'],
    allowDynamic: argv['allow-dynamic'],
    includeNative: argv['include-native'],
  });
}
