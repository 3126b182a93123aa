import { expect } from 'chai';
import { COMMANDS } from '../../src/commands/all.js';
import { OPTIONS, type OptionName } from '../../src/options/definitions.js';
import { aliasesOf, PRIMARY_PLATFORMS } from '../../src/table/platforms.js';
import { complete } from '../../src/usage/complete.js';

const words = (...w: string[]) => complete(COMMANDS, w).words.map(([word]) => word);
const directive = (...w: string[]) => complete(COMMANDS, w).directive;

describe('completion: the candidates for the last word', () => {
  it('every command, and those that begin with the word', () => {
    expect(words('')).to.have.members(COMMANDS.map((c) => c.commandName));
    expect(words('e')).to.deep.equal(['enable', 'export', 'explain']);
    expect(words('--binfmt-dir', '/x', 'dis')).to.deep.equal(['disable'], 'a global option value is no command');
  });

  it("each command's own options, the global ones, --help and --version, and --no- where a switch is on by default", () => {
    for (const command of COMMANDS) {
      const offered = words(command.commandName, '--');
      for (const [name] of command.spec.options) expect(offered, `${command.commandName} --${name}`).to.include(`--${name}`);
      expect(offered).to.include.members(['--help', '--version', '--binfmt-dir']);
    }
    expect(words('enable', '--fo')).to.deep.equal(['--force']);
    expect(words('persist', '--no-n')).to.deep.equal(['--no-now']);
    expect(words('platforms', '--')).not.to.include('--force');
  });

  it('every platform name and alias, and all, for platforms', () => {
    const expected = ['all', ...PRIMARY_PLATFORMS.flatMap((p) => [p.name, ...aliasesOf(p)])];
    expect(words('enable', '')).to.have.members([...new Set(expected)]);
    expect(words('disable', 'aarch64', 'riscv')).to.deep.equal(['riscv32', 'riscv32-linux', 'riscv64', 'riscv64-linux']);
    expect(words('enable', 'linux/arm')).to.include.members(['linux/arm64', 'linux/arm/v7']);
  });

  it('the choices of a positional or an option, after a space, =, or the separate = of bash', () => {
    expect(words('completion', '')).to.deep.equal(['bash', 'zsh', 'fish']);
    expect(words('sandbox', '')).to.deep.equal(['nix', 'guix']);
    expect(words('sandbox', 'nix', 'aarch')).to.include('aarch64');
    expect(words('persist', '--via', '')).to.deep.equal([...OPTIONS.via.choices]);
    expect(words('persist', '--via=u')).to.deep.equal(['--via=unit']);
    expect(words('persist', '--via', '=', 'u')).to.deep.equal(['unit']);
    expect(words('persist', '--via', '=')).to.deep.equal([...OPTIONS.via.choices]);
    expect(words('persist', '--via', '=', 'unit', 'aarch6')).to.include('aarch64', 'a value given with = is no positional');
  });

  it('leaves paths and commands to the shell', () => {
    const paths: Array<[OptionName, string]> = [
      ['binfmt-dir', 'dirs'],
      ['rootfs', 'dirs'],
      ['output', 'dirs'],
      ['lock', 'files'],
      ['interpreter', 'files'],
    ];
    for (const [name, kind] of paths) expect(directive('status', `--${name}`, ''), name).to.equal(kind);
    expect(directive('explain', '')).to.equal('files');
    expect(directive('run', 'aarch64', '--', '')).to.equal('commands');
    expect(directive('run', 'aarch64', '--', 'ls', '')).to.equal('files');
    expect(directive('enable', '')).to.equal('none');
  });
});
