import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inChildUserNamespace } from '../../src/kernel/namespace.js';

describe('kernel/namespace', () => {
  it('tells the initial user namespace from another one', async () => {
    expect(inChildUserNamespace('/proc/1/uid_map')).to.equal(false);
    const dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-ns-'));
    try {
      await writeFile(join(dir, 'uid_map'), '         0       1000          1\n');
      expect(inChildUserNamespace(join(dir, 'uid_map'))).to.equal(true);
      await writeFile(join(dir, 'uid_map'), '         0          0 4294967295\n');
      expect(inChildUserNamespace(join(dir, 'uid_map'))).to.equal(false);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
