import { QemuBinfmtError } from '../../errors.js';
import { header } from '../file-mark.js';
import { escapeBytes } from '../../table/hex.js';
import type { Exporter } from './types.js';

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/** Format files for `update-binfmts --import` (binfmt-support), one per platform. */
export const binfmtSupport: Exporter = ({ targets, regenerate }) =>
  targets.map(({ registration: { name, rule, interpreter, flags } }) => {
    if (flags.openBinary && !flags.credentials) {
      throw new QemuBinfmtError('USAGE', 'binfmt-support has no setting for O without C', {
        hint: 'drop --open-binary, or add --credentials (which implies O)',
      });
    }
    return {
      name,
      content: [
        ...header({ regenerate }),
        'package qemu-binfmt',
        `interpreter ${interpreter}`,
        `magic ${escapeBytes(rule.magic)}`,
        `mask ${escapeBytes(rule.mask)}`,
        `offset ${rule.offset}`,
        `credentials ${yesNo(flags.credentials)}`,
        `preserve ${yesNo(flags.preserveArgv0)}`,
        `fix_binary ${yesNo(flags.fixBinary)}`,
        '',
      ].join('\n'),
      mode: 0o644,
    };
  });
