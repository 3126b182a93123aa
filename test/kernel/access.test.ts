import { expect } from 'chai';
import { accessTable, binfmtDirOf } from '../../src/kernel/access.js';
import { MemoryBinfmtTable } from '../../src/kernel/memory-table.js';
import { caughtAsync } from '../helpers/caught.js';

describe('kernel/access', () => {
  it('takes the directory from the option, then QEMU_BINFMT_DIR, then the default', () => {
    expect(binfmtDirOf({ binfmtDir: '/x' })).to.equal('/x');
    const saved = process.env.QEMU_BINFMT_DIR;
    try {
      process.env.QEMU_BINFMT_DIR = '/from-env';
      expect(binfmtDirOf({})).to.equal('/from-env');
      delete process.env.QEMU_BINFMT_DIR;
      expect(binfmtDirOf({})).to.equal('/proc/sys/fs/binfmt_misc');
    } finally {
      if (saved === undefined) delete process.env.QEMU_BINFMT_DIR;
      else process.env.QEMU_BINFMT_DIR = saved;
    }
  });

  it('fails NOT_MOUNTED with the fix, mounts only when allowed, and may go on unmounted when asked', async () => {
    const table = new MemoryBinfmtTable({ mounted: false });
    const err = await caughtAsync(() => accessTable({ table }));
    expect([err.code, err.hint]).to.deep.equal([
      'NOT_MOUNTED',
      'add --mount, or run: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc',
    ]);
    expect((await accessTable({ table, mount: true }, false, false)).mounted).to.equal(false);
    const access = await accessTable({ table, mount: true });
    expect([access.mounted, access.conditions]).to.deep.equal([
      true,
      [{ code: 'MOUNTED_NOW', severity: 'notice', problem: 'mounted binfmt_misc on /proc/sys/fs/binfmt_misc (it stays mounted)' }],
    ]);
  });
});
