import { expect } from 'chai';
import { execa } from 'execa';
import { ROOT } from '../helpers/paths.js';

describe('library entry point', () => {
  it('imports by package name (package.json exports), with the documented functions', async () => {
    const script = `const lib = await import('qemu-binfmt'); console.log(JSON.stringify(Object.fromEntries(Object.entries(lib).map(([k, v]) => [k, typeof v]))), lib.PRIMARY_PLATFORMS.length, lib.PLATFORMS.length);`;
    const r = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    const [exports, count, rules] = r.stdout.split(' ');
    const types = JSON.parse(exports!) as Record<string, string>;
    for (const fn of [
      'enable',
      'disable',
      'status',
      'formatRegisterLine',
      'findPlatform',
      'openBinfmtTable',
      'explain',
      'doctor',
      'runRootless',
      'watch',
    ])
      expect(types[fn], fn).to.equal('function');
    // 34 platforms; microblaze and microblazeel have a second rule each.
    expect([Number(count), Number(rules)]).to.deep.equal([34, 36]);
  });
});
