import { expect } from 'chai';
import { createdDirsOf, header, writtenByUs } from '../../src/boot/file-mark.js';
import { systemdQuote, shellQuote } from '../../src/boot/quote.js';

describe('file headers and quoting', () => {
  it('keep a path with a newline inside the comment', () => {
    const lines = header({ regenerate: "qemu-binfmt export --output '/tmp/a\ntouch /tmp/x'", createdDirs: ['etc', 'etc/binfmt.d'] });
    expect(lines.every((l) => l.startsWith('# ') && !l.includes('\n'))).to.equal(true);
    expect(lines[1]).to.equal("# Regenerate with: qemu-binfmt export --output '/tmp/a\\ntouch /tmp/x'");
    const text = `${lines.join('\n')}\n:qemu-arm:M::x::/bin/true:\n`;
    expect(writtenByUs(text)).to.equal(true);
    expect(createdDirsOf(text)).to.deep.equal(['etc', 'etc/binfmt.d']);
    expect(writtenByUs(':qemu-arm:M::x::/bin/true:\n# by hand\n')).to.equal(false);
  });

  it('quote for sh and for systemd, with specifiers and variables escaped', () => {
    expect(shellQuote('/usr/bin/qemu-arm-static')).to.equal('/usr/bin/qemu-arm-static');
    expect(shellQuote("it's $HOME")).to.equal(`'it'\\''s $HOME'`);
    expect(systemdQuote('/opt/a b/100%/${PATH}')).to.equal('"/opt/a b/100%%/$${PATH}"');
  });
});
