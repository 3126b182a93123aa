import { expect } from 'chai';
import { execa } from 'execa';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { emulator, foreign, literally } from '../helpers/paths.js';
import { lineFor } from '../helpers/memory.js';
import { PrivateInstance } from '../helpers/private-instance.js';

/**
 * explain says whether a file runs, and why not; the kernel then decides for real. Each file is
 * explained first, then executed with execv (no shell, no retry through /bin/sh), and the two
 * must agree: runs, Exec format error (ENOEXEC), or No such file or directory (ENOENT).
 */
describe('explain agrees with the real kernel (private binfmt_misc instance)', function () {
  this.timeout(120_000);
  let instance: PrivateInstance | undefined;
  let dir = '';

  before(async function () {
    instance = await PrivateInstance.start(this);
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-explain-'));
  });
  after(async () => {
    await instance?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * What the kernel answers to execv of the file (chrooted into root when given): 'runs'
   * (whatever the program then does), or why not.
   */
  async function kernelSays(file: string, root?: string): Promise<string> {
    const path = root ? `/${relative(root, file)}` : file;
    const enter = root ? `os.chroot(${JSON.stringify(root)}); os.chdir("/")\n` : '';
    const py = `import os,sys\n${enter}try:\n  os.execv(sys.argv[1], [sys.argv[1], "--version"])\nexcept OSError as e:\n  print(e.strerror, file=sys.stderr); sys.exit(3)`;
    const r = await instance!.sh(`python3 -c '${py}' ${path} >/dev/null 2>${dir}/err; c=$?; cat ${dir}/err; echo "exit $c"`);
    if (r.stdout.endsWith('exit 3')) return r.stdout.split('\n')[0]!;
    // QEMU ran, but could not load the program: "Could not open '/lib/ld-...': No such file or directory".
    if (/Could not open '.*': No such file or directory/.test(r.stdout)) return 'No such file or directory';
    return 'runs';
  }

  /** explain's verdict and the kernel's answer for each file, with and without its root; returns the verdicts. */
  async function agree(file: string, root?: string): Promise<string> {
    const e = await instance!.cli(['explain', file, '--json', ...(root ? ['--root', root] : [])]);
    const [explained] = (JSON.parse(e.stdout) as { results: Array<{ runs: boolean; verdict: string }> }).results;
    const kernel = await kernelSays(file, root);
    const expected = explained!.runs
      ? 'runs'
      : explained!.verdict.startsWith('Exec format error')
        ? 'Exec format error'
        : explained!.verdict.startsWith('No such file')
          ? 'No such file or directory'
          : 'other';
    expect([file, root, expected, e.exitCode]).to.deep.equal([file, root, kernel.split('\n')[0], explained!.runs ? 0 : 1]);
    return explained!.verdict;
  }

  it('a corpus of real and made files, with and without entries and roots: explain and execv agree', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    const armhf = foreign(this, 'busybox-armhf');
    const arm64Root = foreign(this, 'rootfs-arm64');
    const armhfRoot = foreign(this, 'rootfs-armhf');
    const i386Root = foreign(this, 'rootfs-i386');
    const script = join(dir, 'script');
    await writeFile(script, '#!/usr/bin/no-such-interpreter\n');
    const pe = join(dir, 'app.exe');
    await writeFile(pe, Buffer.from('4d5a90000300000004000000ffff0000', 'hex'));
    const text = join(dir, 'notes');
    await writeFile(text, 'just words\n');
    const foreignScript = join(dir, 'arm-script');
    await writeFile(foreignScript, `#!${busybox} sh\n`);
    // A script inside the arm64 root whose interpreter is that root's (dynamically linked) bash.
    const bashScript = join(arm64Root, 'explain-script');
    await writeFile(bashScript, '#!/bin/bash\necho hi\n');
    for (const f of [script, pe, text, foreignScript, bashScript]) await chmod(f, 0o755);
    const rooted: Array<[string, string]> = [
      [join(arm64Root, 'bin/bash'), arm64Root],
      [join(arm64Root, 'bin/ls'), arm64Root],
      [join(arm64Root, 'usr/bin/hello'), arm64Root],
      [bashScript, arm64Root],
      [join(armhfRoot, 'usr/bin/hello'), armhfRoot],
      [join(i386Root, 'usr/bin/hello'), i386Root],
    ];
    const plain = [busybox, armhf, '/bin/ls', script, pe, text, foreignScript];
    const verdicts: Record<string, string[]> = {};
    const all = async () => {
      for (const f of plain) (verdicts[f] ??= []).push(await agree(f));
      for (const [f, root] of rooted) {
        (verdicts[f] ??= []).push(await agree(f));
        verdicts[f].push(await agree(f, root));
      }
    };
    try {
      await all();
      expect((await instance!.cli(['enable', 'aarch64', 'arm'])).exitCode).to.equal(0);
      await all();
      await instance!.sh('echo 0 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
      await agree(busybox);
      await instance!.sh('echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
    } finally {
      await rm(bashScript, { force: true });
    }
    // The corpus covers each kind of verdict.
    const seen = Object.values(verdicts).flat();
    for (const kind of [/^runs natively$/, /^runs through /, /^Exec format error: /, /^No such file or directory: .*ld-linux/])
      expect(
        seen.some((v) => kind.test(v)),
        String(kind),
      ).to.equal(true);
    expect(verdicts[join(i386Root, 'usr/bin/hello')]).to.deep.equal([
      'No such file or directory: /lib/ld-linux.so.2 is missing',
      'runs natively',
      'No such file or directory: /lib/ld-linux.so.2 is missing',
      'runs natively',
    ]);
    expect(verdicts[join(arm64Root, 'bin/bash')]!.at(-1)).to.equal(`runs through ${emulator('qemu-aarch64')} (entry qemu-aarch64)`);
  });

  it('a dynamically linked arm64 program: its missing loader here, and it runs in its own root', async function () {
    const rootfs = foreign(this, 'rootfs-arm64');
    const hello = join(rootfs, 'usr/bin/hello');
    await instance!.cli(['enable', 'aarch64']);
    await instance!.sh('echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
    await agree(hello);
    const here = (
      JSON.parse((await instance!.cli(['explain', hello, '--json'])).stdout) as { results: Array<{ verdict: string; fixes: string[] }> }
    ).results;
    expect(here[0]!.verdict).to.equal('No such file or directory: /lib/ld-linux-aarch64.so.1 is missing');
    expect(here[0]!.fixes[0]).to.match(/apt-get install libc6:arm64/);
    const inRoot = await instance!.cli(['explain', hello, '--root', rootfs]);
    expect([inRoot.exitCode, inRoot.stdout.split('\n')[0]]).to.deep.equal([
      0,
      `${hello}: runs through ${emulator('qemu-aarch64')} (entry qemu-aarch64)`,
    ]);
    expect((await instance!.sh(`chroot ${rootfs} /usr/bin/hello`)).stdout).to.equal('Hello, world!');
  });

  it('of several matching entries, explain names the one the kernel uses (the newest), and how it found out', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    await instance!.removeEntries();
    // Another tool's entry with the same rule, whose interpreter is an emulator of another platform.
    const shadow = lineFor('aarch64', 'shadow', '/usr/bin/qemu-arm-static', 'F').trimEnd();
    await instance!.registerRaw(shadow);
    expect((await instance!.cli(['enable', 'aarch64', '--take-over'])).exitCode).to.equal(0);
    const ours = (
      JSON.parse((await instance!.cli(['explain', busybox, '--json'])).stdout) as { results: Array<{ verdict: string; reasons: string[] }> }
    ).results;
    expect(ours[0]!.verdict).to.equal(`runs through ${emulator('qemu-aarch64')} (entry qemu-aarch64)`);
    expect(ours[0]!.reasons.join('\n')).to.match(
      new RegExp(`entries .*qemu-aarch64.* all match; .*the banner of ${literally(emulator('qemu-aarch64'))} alone`),
    );
    expect((await instance!.sh(`${busybox} echo hi`)).stdout).to.equal('hi');

    // Registered again, the other entry is now the newest: it wins, and the program fails.
    await instance!.sh('echo -1 > /proc/sys/fs/binfmt_misc/shadow');
    await instance!.registerRaw(shadow);
    const shadowed = await instance!.cli(['explain', busybox, '--json']);
    const [said] = (JSON.parse(shadowed.stdout) as { results: Array<{ verdict: string; entry: string; fixes: string[] }> }).results;
    expect([shadowed.exitCode, said!.entry, said!.verdict]).to.deep.equal([
      1,
      'shadow',
      'cannot run: entry shadow wins and hands it to qemu-arm, an emulator for another platform',
    ]);
    expect(said!.fixes[0]).to.equal(
      'remove the newer entry that shadows it (qemu-binfmt never touches it): echo -1 > /proc/sys/fs/binfmt_misc/shadow',
    );
    const real = await instance!.sh(`${busybox} echo hi`);
    expect([real.exitCode, real.stderr]).to.deep.equal([255, `qemu-arm-static: ${busybox}: Invalid ELF image for this architecture`]);
    await instance!.sh('echo -1 > /proc/sys/fs/binfmt_misc/shadow');
  });

  it('a broken interpreter path, binfmt_misc switched off, and unmounted: explain says which, and execv agrees', async function () {
    const busybox = foreign(this, 'busybox-arm64');
    await instance!.removeEntries();
    const broken = lineFor('aarch64', 'qemu-aarch64', '/nonexistent/qemu-aarch64-static').trimEnd();
    await instance!.registerRaw(broken);
    expect(await agree(busybox)).to.equal('No such file or directory: the interpreter /nonexistent/qemu-aarch64-static is missing');
    const inside = (JSON.parse((await instance!.cli(['explain', busybox, '--json'])).stdout) as { results: Array<{ reasons: string[] }> })
      .results;
    expect(inside[0]!.reasons.some((r) => r.startsWith('this user namespace has a binfmt_misc table of its own'))).to.equal(true);
    await instance!.sh('echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64');
    expect((await instance!.cli(['enable', 'aarch64'])).exitCode).to.equal(0);
    await instance!.sh('echo 0 > /proc/sys/fs/binfmt_misc/status');
    expect(await agree(busybox)).to.equal(
      'Exec format error: binfmt_misc is switched off as a whole (/proc/sys/fs/binfmt_misc/status reads disabled): no entry runs anything',
    );
    await instance!.sh('echo 1 > /proc/sys/fs/binfmt_misc/status');
    // The last one: this instance's own mount goes, and its table with it.
    await instance!.sh('umount /proc/sys/fs/binfmt_misc');
    // Where the host has binfmt_misc mounted, its mount shows through here: nothing to check then.
    if ((await instance!.sh('[ -e /proc/sys/fs/binfmt_misc/register ]')).exitCode === 0) return;
    expect(await agree(busybox)).to.equal('Exec format error: binfmt_misc is not mounted at /proc/sys/fs/binfmt_misc');
  });

  it("explain's fixes followed literally on arm64 roots made for the test (a library gone, the loader gone, a merged /usr without its /lib link) until the program runs", async function () {
    this.timeout(300_000);
    // An earlier test unmounted the instance's table: --mount mounts this namespace's own again.
    expect((await instance!.cli(['enable', 'aarch64', '--mount'])).exitCode).to.equal(0);
    const follow = async (root: string, program: string, expected: RegExp) => {
      const e = await instance!.cli(['explain', join(root, program), '--root', root, '--json']);
      const [said] = (JSON.parse(e.stdout) as { results: Array<{ runs: boolean; verdict: string; fixes: string[] }> }).results;
      expect(said!.runs, said!.verdict).to.equal(false);
      const fix = said!.fixes[0]!;
      expect(fix).to.match(expected);
      // The command, as written after its explanation; run where a user would, in a directory of their own.
      const command = fix.includes(': ') ? fix.slice(fix.lastIndexOf(': ') + 2) : fix;
      const done = await execa('sh', ['-c', command], { cwd: dir, reject: false });
      expect(done.exitCode, `${command}: ${done.stderr}`).to.equal(0);
      expect(await agree(join(root, program), root)).to.match(/^runs /);
    };
    const copy = async (name: string) => {
      const root = join(dir, name);
      await instance!.sh(`cp -a ${foreign(this, 'rootfs-arm64')} ${root}`);
      return root;
    };
    const noLibrary = await copy('no-selinux');
    await instance!.sh(`rm ${noLibrary}/lib/aarch64-linux-gnu/libselinux.so.1`);
    await follow(
      noLibrary,
      'bin/ls',
      /^unpack libselinux1:arm64 into the root filesystem \(a guess from the library's name; apt-file search libselinux\.so\.1 tells for sure\): /,
    );
    const noLoader = await copy('no-loader');
    await instance!.sh(`rm ${noLoader}/lib/ld-linux-aarch64.so.1`);
    await follow(noLoader, 'usr/bin/hello', /^unpack libc6:arm64 into the root filesystem/);
    const merged = await copy('merged-usr');
    await instance!.sh(`cp -a ${merged}/lib/. ${merged}/usr/lib/ && rm -rf ${merged}/lib`);
    await follow(merged, 'usr/bin/hello', /^ln -s usr\/lib /);
  });
});
