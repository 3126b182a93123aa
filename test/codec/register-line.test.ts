import { expect } from 'chai';
import { parseFlagString, type Flags } from '../../src/codec/flags.js';
import { findPlatform } from '../../src/table/platforms.js';
import { formatRegisterLine, KERNEL_LIMITS, type Registration } from '../../src/codec/register-line.js';
import { caught } from '../helpers/caught.js';

const NONE: Flags = { preserveArgv0: false, openBinary: false, credentials: false, fixBinary: false };
const aarch64 = findPlatform('aarch64')!;
const base: Registration = { name: 'qemu-aarch64', rule: aarch64.rule, interpreter: '/usr/bin/qemu-aarch64-static', flags: NONE };

/** Decodes \xHH escapes back to bytes, the way fs/binfmt_misc.c does. */
function unescape(field: string): number[] {
  expect(field).to.match(/^(\\x[0-9a-f]{2})+$/);
  return (field.match(/\\x(..)/g) ?? []).map((e) => parseInt(e.slice(2), 16));
}

describe('register line', () => {
  it('has the kernel layout, escapes every magic and mask byte, and round-trips', () => {
    const line = formatRegisterLine({ ...base, flags: { ...NONE, preserveArgv0: true, fixBinary: true } });
    expect(line.endsWith('\n')).to.equal(true);
    const fields = line.slice(1, -1).split(':');
    expect(line[0]).to.equal(':');
    expect(fields).to.have.length(7);
    expect(fields.slice(0, 3)).to.deep.equal(['qemu-aarch64', 'M', '0']);
    expect(unescape(fields[3]!)).to.deep.equal([...aarch64.rule.magic]);
    expect(unescape(fields[4]!)).to.deep.equal([...aarch64.rule.mask]);
    expect(fields.slice(5)).to.deep.equal(['/usr/bin/qemu-aarch64-static', 'PF']);
  });

  it('escapes NUL and the delimiter, so no raw 0x00 or 0x3a byte reaches the kernel', () => {
    const rule = { offset: 0, magic: Uint8Array.from([0x3a, 0x00, 0x5c]), mask: Uint8Array.from([0xff, 0xff, 0xff]) };
    const line = formatRegisterLine({ ...base, rule });
    expect(line).to.equal(':qemu-aarch64:M:0:\\x3a\\x00\\x5c:\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:\n');
  });

  it('writes flags in the kernel order, with C implying O', () => {
    for (const [flags, text] of [
      [{ ...NONE, credentials: true }, 'OC'],
      [{ preserveArgv0: true, openBinary: true, credentials: true, fixBinary: true }, 'POCF'],
      [{ ...NONE, openBinary: true }, 'O'],
    ] as const) {
      expect(
        formatRegisterLine({ ...base, flags })
          .trimEnd()
          .split(':')
          .pop(),
      ).to.equal(text);
      expect(parseFlagString(text)).to.deep.equal({ ...NONE, ...flags, openBinary: true });
    }
    expect(parseFlagString('X')).to.equal(undefined);
  });

  describe('refuses what the kernel would refuse, naming the rule', () => {
    const cases: Array<[string, Partial<Registration>, RegExp]> = [
      ['an empty name', { name: '' }, /entry name must be non-empty/],
      ['the name ..', { name: '..' }, /not \. or \.\./],
      ['a / in the name', { name: 'a/b' }, /must not contain \//],
      ['the name status', { name: 'status' }, /not be register or status/],
      ['the name register', { name: 'register' }, /not be register or status/],
      ['a : in the name', { name: 'a:b' }, /must not contain/],
      [
        'a mask of another length',
        { rule: { ...aarch64.rule, mask: aarch64.rule.mask.subarray(1) } },
        /mask must be as long as the magic \(20 bytes\)/,
      ],
      ['offset + length beyond 128', { rule: { ...aarch64.rule, offset: 109 } }, /offset \+ magic length must be <= 128 \(got 129\)/],
      ['a negative offset', { rule: { ...aarch64.rule, offset: -1 } }, /offset must be a whole number/],
      ['a relative interpreter', { interpreter: 'qemu-aarch64' }, /absolute path/],
      ['a : in the interpreter', { interpreter: '/opt/a:b/qemu' }, /must not contain :/],
      ['an interpreter over 127 characters', { interpreter: `/${'x'.repeat(KERNEL_LIMITS.maxInterpreter)}` }, /at most 127 characters/],
      ['a line over 1920 bytes', { name: 'n'.repeat(1800) }, /register line must be 11\.\.1920 bytes \(got 1998\)/],
    ];
    for (const [what, change, message] of cases) {
      it(what, () => {
        const err = caught(() => formatRegisterLine({ ...base, ...change }));
        expect(err.code).to.equal('KERNEL_RULE');
        expect(err.exitCode).to.equal(2);
        expect(err.message).to.match(message);
      });
    }
  });
});
