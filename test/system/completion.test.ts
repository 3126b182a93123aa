import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, skipOrFail } from '../helpers/paths.js';

/**
 * The completion scripts in the real shells, asking the built CLI: bash through its
 * programmable completion (COMP_WORDS and compgen), fish through complete -C, zsh typed into
 * an interactive shell on a pseudo-terminal (zpty) with TAB. The man page rendered by man(1).
 */
describe('completion in bash, zsh and fish, and the man page', function () {
  this.timeout(60_000);
  let bin: string;
  let env: Record<string, string>;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'qemu-binfmt-completion-'));
    symlinkSync(CLI, join(bin, 'qemu-binfmt'));
    env = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: bin };
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  const need = async (ctx: Mocha.Context, shell: string) => {
    if ((await execa('sh', ['-c', `command -v ${shell}`], { reject: false })).exitCode !== 0)
      skipOrFail(ctx, `${shell} is not installed (scripts/setup.sh installs it)`);
  };

  it('bash: COMPREPLY for commands, options, platforms, choices after =, and paths', async function () {
    await need(this, 'bash');
    const script = `eval "$(qemu-binfmt completion bash)"
t() { COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _qemu_binfmt; echo "\${COMPREPLY[*]}"; }
t qemu-binfmt en
t qemu-binfmt enable --forc
t qemu-binfmt enable riscv6
t qemu-binfmt persist --via = un
t qemu-binfmt completion ''
t qemu-binfmt status --binfmt-dir ${ROOT}/platfo
complete -p qemu-binfmt`;
    const { stdout } = await execa('bash', ['--norc', '-c', script], { env });
    expect(stdout.split('\n')).to.deep.equal([
      'enable',
      '--force',
      'riscv64 riscv64-linux',
      'unit',
      'bash zsh fish',
      `${ROOT}/platforms`,
      'complete -o filenames -F _qemu_binfmt qemu-binfmt',
    ]);
  });

  it('fish: complete -C, with descriptions', async function () {
    await need(this, 'fish');
    const lines = ['qemu-binfmt en', 'qemu-binfmt enable --forc', 'qemu-binfmt persist --via=u', 'qemu-binfmt sandbox g'];
    const { stdout } = await execa(
      'fish',
      ['--no-config', '-c', `qemu-binfmt completion fish | source; ${lines.map((l) => `complete -C'${l}'`).join('; ')}`],
      {
        env,
      },
    );
    expect(stdout.split('\n')).to.deep.equal([
      'enable\tRegister QEMU for platforms',
      '--force\treplace a same-named entry that differs',
      '--via=unit',
      'guix',
    ]);
  });

  it('zsh: TAB in an interactive shell lists the candidates with their descriptions', async function () {
    await need(this, 'zsh');
    // Types the line and TAB into zsh on a pseudo-terminal, and prints what the terminal shows.
    const driver = `zmodload zsh/zpty
zpty -b z "TERM=dumb zsh -f -i"
zpty -w z "PS1='> '; autoload -U compinit; compinit -u -D; source <(qemu-binfmt completion zsh)"
zpty -w -n z "$1"$'\\t'
local all= chunk
for i in {1..40}; do sleep 0.1; while zpty -r -t z chunk; do all+=$chunk; done; done
zpty -d z
print -r -- "$all"`;
    const run = async (line: string) =>
      (await execa('zsh', ['-f', '-c', driver, 'zsh', line], { env })).stdout.replace(/\r|\x1b\[[?0-9;]*[a-zA-Z]/g, '');
    const listed = await run('qemu-binfmt enable riscv');
    expect(listed).to.match(/riscv64 +-- 64-bit little-endian, qemu-riscv64/);
    expect(listed).to.match(/riscv32-linux +-- alias of riscv32/);
    // One candidate: the line is completed in place.
    expect(await run('qemu-binfmt disa')).to.match(/> qemu-binfmt disable $/m);
  });

  it('the man page renders without warnings and names every command', async function () {
    if ((await execa('sh', ['-c', 'command -v man'], { reject: false })).exitCode !== 0) skipOrFail(this, 'man is not installed');
    const { stdout, stderr } = await execa('man', ['--warnings', '-l', join(ROOT, 'dist/man/qemu-binfmt.1')], {
      env: { ...env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' },
    });
    expect(stderr).to.equal('');
    expect(stdout).to.match(/^QEMU-BINFMT\(1\)/);
    for (const command of ['enable', 'disable', 'status', 'completion', 'watch'])
      expect(stdout).to.match(new RegExp(`^ {7}${command}\\b`, 'm'));
  });
});
