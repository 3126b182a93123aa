import type { OptionName } from '../options/definitions.js';

/** The positional words commands take. */
export const POSITIONAL_NAMES = ['platforms', 'daemon', 'files', 'shell'] as const;

export interface Positional {
  name: (typeof POSITIONAL_NAMES)[number];
  describe: string;
  /** Takes every remaining word. */
  variadic?: boolean;
  /** Must be given. */
  demand?: boolean;
  choices?: readonly string[];
}

/** What a command takes, as completion, suggestions and the man page read it. */
export interface CommandUsage {
  readonly commandName: string;
  readonly spec: {
    readonly name: string;
    readonly describe: string;
    readonly positionals: readonly Positional[];
    /** Takes a command after `--`, shown as this. */
    readonly command?: string;
    /** Each option it takes, with this command's own help for it where it has one. */
    readonly options: ReadonlyArray<readonly [OptionName, string | undefined]>;
  };
}
