import { expect } from 'chai';
import { execa } from 'execa';
import { CONDITIONS, conditionText } from '../../src/conditions.js';
import { CLI, emulator, foreign, skipOrFail } from '../helpers/paths.js';

const BINFMT = '/proc/sys/fs/binfmt_misc';
const QEMU = emulator('qemu-aarch64');

/**
 * A container, simulated with the real kernel: new user, mount and pid namespaces with a fresh
 * /proc, where /proc/sys/fs/binfmt_misc is an empty directory (nothing mounted).
 */
async function inContainer(ctx: Mocha.Context, script: string, env: Record<string, string>) {
  const r = await execa('unshare', ['--user', '--map-root-user', '--mount', '--pid', '--fork', '--mount-proc', 'sh', '-c', script], {
    reject: false,
    env: { QEMU_BINFMT_DIR: '', QEMU_BINFMT_HOST_ARCH: '', ...env },
  });
  if (r.stdout === '' && /unshare:/.test(r.stderr)) skipOrFail(ctx, `cannot make new namespaces: ${r.stderr}`);
  return r;
}

describe('installer mode (QEMU_BINFMT_INSTALLER=1), in a simulated container', function () {
  this.timeout(60_000);
  const cli = `${process.execPath} ${CLI}`;

  it('refuses a user-namespaced container with the explanation, and registers nothing', async function () {
    const r = await inContainer(this, `${cli} enable aarch64; echo "exit=$?"; ls ${BINFMT} | wc -l`, { QEMU_BINFMT_INSTALLER: '1' });
    expect(r.stdout.split('\n')).to.deep.equal(['exit=1', '0']);
    expect(r.stderr).to.match(
      /^qemu-binfmt: this container runs in a user namespace of its own .* so nothing was registered\nhint: run it rootful without a user namespace/,
    );
  });

  it('with --allow-private: mounts binfmt_misc, registers with F, keeps working with the interpreter hidden, never unmounts', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    const script = [
      // Mounts at the path before: the host's, copied into the namespace, when the host has it mounted.
      `n0=$(grep -c ' ${BINFMT} ' /proc/self/mountinfo)`,
      `${cli} enable aarch64 --allow-private --json > /tmp/summary.json; echo "exit=$?"`,
      `grep -o '"ok": [a-z]*\\|"code": "[A-Z_]*"\\|"outcome": "[a-z]*"' /tmp/summary.json; rm /tmp/summary.json`,
      // Hide the interpreter's path: only the file the kernel holds (F) can still run it.
      `mount --bind /dev/null ${QEMU} && ${busybox} uname -m`,
      `echo $(( $(grep -c ' ${BINFMT} ' /proc/self/mountinfo) - n0 ))`,
      `cat ${BINFMT}/qemu-aarch64 | sed -n 3p`,
    ].join('\n');
    const r = await inContainer(this, script, { QEMU_BINFMT_INSTALLER: '1' });
    // With --json the summary is the envelope, and nothing else is printed.
    expect(r.stdout.split('\n')).to.deep.equal([
      'exit=0',
      '"ok": true',
      '"outcome": "enabled"',
      '"code": "PRIVATE_TABLE"',
      '"code": "MOUNTED_NOW"',
      'aarch64',
      '1',
      'flags: PF',
    ]);
    expect(r.stderr).to.equal('');
  });

  it('outside installer mode it succeeds, with the notice that the table is private', async function () {
    const r = await inContainer(this, `${cli} enable aarch64 --mount; echo "exit=$?"`, {});
    expect(r.stdout.split('\n')).to.deep.equal([`qemu-aarch64: enabled: ${QEMU} flags=PF`, 'exit=0']);
    expect(r.stderr).to.include(`warning: ${conditionText(CONDITIONS.PRIVATE_TABLE())}`);
  });
});
