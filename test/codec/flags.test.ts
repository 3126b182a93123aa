import { expect } from 'chai';
import { flagString, parseFlagString } from '../../src/codec/flags.js';

describe('codec/flags', () => {
  it('parse the letters the kernel knows, in any order, with C implying O', () => {
    expect(parseFlagString('FP')).to.deep.equal({ preserveArgv0: true, openBinary: false, credentials: false, fixBinary: true });
    expect(parseFlagString('C')).to.deep.equal({ preserveArgv0: false, openBinary: true, credentials: true, fixBinary: false });
    expect(parseFlagString('')).to.deep.equal({ preserveArgv0: false, openBinary: false, credentials: false, fixBinary: false });
    expect(parseFlagString('PX')).to.equal(undefined);
  });

  it('print in the kernel order P O C F', () => {
    expect(flagString(parseFlagString('FCP')!)).to.equal('POCF');
    expect(flagString(parseFlagString('F')!)).to.equal('F');
  });
});
