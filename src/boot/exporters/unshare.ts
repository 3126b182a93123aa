import { header } from '../file-mark.js';
import { shellQuote } from '../quote.js';
import type { Exporter } from './types.js';

/**
 * util-linux >= 2.41: `unshare --load-interp=LINE` mounts a private binfmt_misc instance in a new
 * user namespace and registers one line there. The option takes a single registration, so each
 * platform gets a command line of its own.
 */
export const unshare: Exporter = ({ targets, regenerate }) => [
  {
    name: 'qemu-binfmt-unshare.sh',
    content: [
      ...header({ regenerate }),
      '# util-linux >= 2.41. Each line starts a shell in a new user namespace whose private binfmt_misc',
      '# table holds one platform (--load-interp takes one registration); append a command to run that.',
      ...targets.map((t) => `unshare --user --map-root-user --mount --load-interp=${shellQuote(t.line.trimEnd())}`),
      '',
    ].join('\n'),
    mode: 0o644,
  },
];
