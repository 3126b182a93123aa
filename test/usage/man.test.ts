import { expect } from 'chai';
import { COMMANDS } from '../../src/commands/all.js';
import { OPTIONS } from '../../src/options/definitions.js';
import { manPage } from '../../src/usage/man.js';

describe('the man page, from the commands and the options table', () => {
  const page = manPage(COMMANDS, '9.8.7');
  const text = page.replace(/\\-/g, '-').replace(/\\f[BIR]/g, '');

  it('names every command with its words, and every option', () => {
    for (const { spec } of COMMANDS) expect(text, spec.name).to.include(`.B ${spec.name}`);
    expect(text).to.include('.B enable platforms...');
    expect(text).to.include('.B sandbox daemon platforms...');
    for (const name of Object.keys(OPTIONS)) expect(text, name).to.match(new RegExp(`^\\.B --${name}( |$)`, 'm'));
    expect(text).to.include('qemu-binfmt 9.8.7');
  });

  it('is roff no line of which starts a request by accident', () => {
    for (const line of page.split('\n').filter((l) => /^[.']/.test(l))) expect(line).to.match(/^\.(TH|SH|TP|B|BR|RI|I|br|nh|ad) ?/);
    expect(page.replace(/^\.TH .*\n/, '')).not.to.match(/(?<!\\)-/, 'every hyphen escaped');
  });
});
