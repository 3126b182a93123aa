import { expect } from 'chai';
import { formatRegisterLine, type Registration } from '../../src/codec/register-line.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { readBack, registerEntry, removeEntry, replaceEntry } from '../../src/kernel/register.js';
import { findPlatform } from '../../src/table/platforms.js';
import { caught } from '../helpers/caught.js';

const aarch64 = findPlatform('aarch64')!;
const reg = (interpreter: string, fixBinary = true): Registration => ({
  name: aarch64.entryName,
  rule: aarch64.rule,
  interpreter,
  flags: { preserveArgv0: true, openBinary: false, credentials: false, fixBinary },
});
const OURS = reg('/usr/bin/qemu-aarch64-static');

/** A table where another process registers `meanwhile` just before our write lands. */
class Racing extends MemoryBinfmtTable {
  constructor(private meanwhile: string | undefined) {
    super();
  }
  override register(line: string): void {
    const other = this.meanwhile;
    this.meanwhile = undefined;
    if (other) super.register(other);
    super.register(line);
  }
}

describe('kernel/register: what the kernel answers means', () => {
  it('registers and reads back', () => {
    const table = new MemoryBinfmtTable();
    expect(registerEntry(table, OURS, formatRegisterLine(OURS))).to.deep.equal({ outcome: 'enabled' });
    expect(table.read(OURS.name)?.interpreter).to.equal(OURS.interpreter);
  });

  it('EEXIST from an identical entry registered meanwhile is success; from a differing one, EXISTS_DIFFERENT', () => {
    expect(registerEntry(new Racing(formatRegisterLine(OURS)), OURS, formatRegisterLine(OURS))).to.deep.equal({ outcome: 'unchanged' });
    const other = formatRegisterLine(reg('/opt/other-qemu'));
    const err = caught(() => registerEntry(new Racing(other), OURS, formatRegisterLine(OURS)));
    expect([err.code, err.errno]).to.deep.equal(['EXISTS_DIFFERENT', 'EEXIST']);
  });

  it('F with a missing interpreter is INTERPRETER_NOT_FOUND naming it', () => {
    const table = new MemoryBinfmtTable({ interpreterExists: () => false });
    const err = caught(() => registerEntry(table, OURS, formatRegisterLine(OURS)));
    expect([err.code, err.path]).to.deep.equal(['INTERPRETER_NOT_FOUND', OURS.interpreter]);
  });

  it('replace puts the previous entry back, disabled as it was, when the kernel refuses ours', () => {
    const table = new MemoryBinfmtTable({ interpreterExists: (p) => p !== '/gone' });
    const old = reg('/opt/old-qemu', false);
    table.register(formatRegisterLine(old));
    table.control(old.name, '0');
    const err = caught(() => replaceEntry(table, reg('/gone'), formatRegisterLine(reg('/gone')), table.read(old.name)!));
    expect(err.message).to.include('the previous entry was put back');
    expect(err.code).to.equal('INTERPRETER_NOT_FOUND');
    expect(table.text(old.name)).to.match(/^disabled\ninterpreter \/opt\/old-qemu\n/);
  });

  it('replace refuses, and leaves alone, an entry it could not put back', () => {
    const table = new MemoryBinfmtTable();
    table.register(`:${OURS.name}:E::foo::/usr/bin/foo:\n`);
    const err = caught(() => replaceEntry(table, OURS, formatRegisterLine(OURS), table.read(OURS.name)!));
    expect(err.code).to.equal('EXISTS_DIFFERENT');
    expect(table.read(OURS.name)?.extension).to.equal('foo');
    expect(table.writes.map(([file]) => file)).to.deep.equal(['register']);
  });

  it('remove acts only when told, in one open; an entry already gone is no error', () => {
    const table = new MemoryBinfmtTable();
    table.register(formatRegisterLine(OURS));
    expect(removeEntry(table, OURS.name, () => false).removed).to.equal(false);
    expect(table.read(OURS.name)).to.not.equal(undefined);
    expect(removeEntry(table, OURS.name, () => true)).to.deep.include({ removed: true });
    expect(removeEntry(table, OURS.name, () => true)).to.deep.equal({ entry: undefined, removed: false });
  });

  it('read-back: missing right after a successful read-back means removed by another process; elsewhere, and when different, a failure', () => {
    const table = new MemoryBinfmtTable();
    expect(readBack(table, OURS).warning?.code).to.equal('REMOVED_BY_OTHER');
    const plain = Object.assign(new MemoryBinfmtTable(), { isKernel: () => false });
    expect(caught(() => readBack(plain, OURS)).code).to.equal('READBACK');
    table.register(formatRegisterLine(reg('/opt/other')));
    expect(caught(() => readBack(table, OURS)).message).to.include('interpreter /opt/other');
  });

  it('a register write the kernel never applies is written once more, then fails with what was seen', () => {
    // A register that takes every write and does nothing (a bind mount of /dev/null, say).
    class Deaf extends MemoryBinfmtTable {
      override register(line: string): void {
        this.writes.push(['register', line]);
      }
    }
    const deaf = new Deaf();
    const error = caught(() => registerEntry(deaf, OURS, formatRegisterLine(OURS)));
    expect([error.code, error.message]).to.deep.equal([
      'READBACK',
      `wrote ${OURS.name} to ${deaf.dir}/register twice, and both times ${deaf.dir}/${OURS.name} was not there when read back: the kernel did not apply the write`,
    ]);
    expect(deaf.writes.filter(([file]) => file === 'register').length).to.equal(2);
    // Applied the second time: enabled, and nothing to warn about.
    let first = true;
    class Late extends MemoryBinfmtTable {
      override register(line: string): void {
        if (first) first = false;
        else super.register(line);
      }
    }
    expect(registerEntry(new Late({ linux73: true }), OURS, formatRegisterLine(OURS))).to.deep.equal({ outcome: 'enabled' });
  });
});
