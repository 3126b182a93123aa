import type { Command } from './command.js';
import { completionCommand } from './completion.js';
import { disableCommand } from './disable.js';
import { doctorCommand } from './doctor.js';
import { enableCommand } from './enable.js';
import { explainCommand } from './explain.js';
import { exportCommand } from './export.js';
import { lockCommand } from './lock.js';
import { persistCommand, unpersistCommand } from './persist.js';
import { platformsCommand } from './platforms.js';
import { runCommand } from './run.js';
import { sandboxCommand } from './sandbox.js';
import { statusCommand } from './status.js';
import { testCommand } from './test.js';
import { watchCommand } from './watch.js';

/** Every command, in the order --help and the man page list them. */
export const COMMANDS: readonly Command[] = [
  enableCommand,
  disableCommand,
  statusCommand,
  platformsCommand,
  exportCommand,
  persistCommand,
  unpersistCommand,
  sandboxCommand,
  testCommand,
  explainCommand,
  doctorCommand,
  runCommand,
  watchCommand,
  lockCommand,
  completionCommand,
];
