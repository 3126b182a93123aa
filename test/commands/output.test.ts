import { expect } from 'chai';
import { printable, write, writeFd, type Io } from '../../src/commands/output.js';
import { caught } from '../helpers/caught.js';

describe('commands/output', () => {
  it('shows control bytes from outside as \\xHH, keeping newlines and tabs', () => {
    expect(printable('a\x1b[2Jb\r\x9bc\td\n')).to.equal('a\\x1b[2Jb\\x0d\\x9bc\td\n');
    let out = '';
    const io: Io = { stdout: (t) => void (out += t), stderr: () => undefined };
    write(io, { stdout: ['evil\x1b]0;title\x07: enabled'], stderr: [] });
    expect(out).to.equal('evil\\x1b]0;title\\x07: enabled\n');
  });

  it('names a failed write with its errno', () => {
    const err = caught(() => writeFd(99, 'standard output', 'x'));
    expect([err.code, err.message]).to.deep.equal(['IO', 'cannot write to standard output (EBADF)']);
  });
});
