import { expect } from 'chai';
import { resolve } from 'node:path';
import { readOptions as read } from '../../src/options/read.js';
import { argsOf, planArgs } from '../../src/options/args.js';
import { PLAN_OPTIONS, type OptionName } from '../../src/options/definitions.js';
import { caught } from '../helpers/caught.js';

const readOptions = <N extends OptionName>(argv: Record<string, unknown>, names: readonly N[]) => read({ argv, words: [] }, names);

describe('options: argv to library options and back', () => {
  it('maps each option to its library key by the definitions', () => {
    const values = readOptions({ 'fix-binary': false, 'interpreter-dir': 'dir', chroot: '/tmp', 'dry-run': true, other: 1 }, [
      ...PLAN_OPTIONS,
      'chroot',
      'dry-run',
    ]);
    expect(values).to.deep.equal({ fixBinary: false, interpreterDir: 'dir', chroots: ['/tmp'], dryRun: true });
  });

  it('refuses a single-value option given twice', () => {
    const err = caught(() => readOptions({ interpreter: ['a', 'b'] }, ['interpreter']));
    expect([err.code, err.message]).to.deep.equal(['USAGE', '--interpreter was given more than once ("a", "b")']);
  });

  it('turns plan options back into the arguments that give them, paths absolute, defaults left out', () => {
    expect(
      planArgs({ interpreterDir: 'dir', fixBinary: false, preserveArgv0: true, allowDynamic: false, includeNative: true }),
    ).to.deep.equal(['--interpreter-dir', resolve('dir'), '--no-fix-binary', '--preserve-argv0', '--include-native']);
    const argv = { 'fix-binary': true, credentials: false, chroot: ['/', '/tmp'] };
    const names = ['fix-binary', 'credentials', 'chroot'] as const;
    expect(readOptions(argv, names)).to.deep.equal({ fixBinary: true, credentials: false, chroots: ['/', '/tmp'] });
    expect(argsOf(readOptions(argv, names), names)).to.deep.equal([
      '--fix-binary',
      '--no-credentials',
      '--chroot',
      '/',
      '--chroot',
      '/tmp',
    ]);
  });
});
