import type { CommandUsage } from './command-usage.js';
import { OPTIONS, placeholder, type OptionDef, type OptionName } from '../options/definitions.js';
import { ENVIRONMENT, EXIT_CODES, TAGLINE } from './about.js';

/** qemu-binfmt(1) in roff, from the commands and the one options table. */
export function manPage(commands: readonly CommandUsage[], version: string): string {
  const lines = [
    `.TH QEMU-BINFMT 1 "" "qemu-binfmt ${roff(version)}" "User Commands"`,
    // Option names stay whole: no hyphenation, no justification.
    '.nh',
    '.ad l',
    '.SH NAME',
    `qemu\\-binfmt \\- ${roff(TAGLINE.charAt(0).toLowerCase() + TAGLINE.slice(1).replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    '.B qemu\\-binfmt',
    '.I command',
    '.RI [ arguments ]',
    '.RI [ options ]',
    '.SH DESCRIPTION',
    roff(TAGLINE),
    roff('A platform is a name from the table (qemu-binfmt platforms), one of its aliases, or all.'),
    '.SH COMMANDS',
  ];
  for (const { spec } of commands) {
    const words = spec.positionals.map((p) => (p.demand ? `\\fI${p.name}\\fR` : `[\\fI${p.name}\\fR]`) + (p.variadic ? '...' : ''));
    lines.push('.TP', `.B ${[spec.name, ...words].join(' ')}${spec.command ? ` ${roff(spec.command)}` : ''}`, roff(spec.describe));
    const own = spec.options.filter(([name]) => !(OPTIONS[name] as OptionDef).global);
    if (own.length) lines.push('.br', `Options: ${own.map(([name]) => `\\fB\\-\\-${roff(name)}\\fR`).join(', ')}.`);
    for (const [name, describe] of own.filter(([, d]) => d !== undefined))
      lines.push('.br', `\\fB\\-\\-${roff(name)}\\fR here: ${roff(describe!)}.`);
  }
  lines.push('.SH OPTIONS');
  for (const [name, def] of Object.entries(OPTIONS) as Array<[OptionName, OptionDef]>) {
    lines.push('.TP', `.B \\-\\-${roff(name)}${value(def)}`, roff(def.describe) + (def.global ? ' (every command)' : ''));
  }
  lines.push('.TP', '.BR \\-h ", " \\-\\-help', 'Show help (of a command: qemu\\-binfmt enable \\-\\-help).');
  lines.push('.TP', '.BR \\-V ", " \\-\\-version', 'Show the version.');
  lines.push('.SH EXIT STATUS');
  for (const [code, meaning] of EXIT_CODES) lines.push('.TP', `.B ${code}`, roff(meaning));
  lines.push('.SH ENVIRONMENT');
  for (const [name, meaning] of ENVIRONMENT) lines.push('.TP', `.B ${name}`, roff(meaning));
  lines.push('.SH FILES', '.TP', '.B /proc/sys/fs/binfmt_misc', 'The kernel table (register, status, and one file per entry).');
  lines.push('.SH SEE ALSO', '.BR qemu\\-user (1),', '.BR binfmt.d (5),', '.BR systemd\\-binfmt.service (8)');
  return `${lines.join('\n')}\n`;
}

function value(def: OptionDef): string {
  if (def.kind === 'boolean') return '';
  return ` \\fI${roff(placeholder(def))}\\fR${def.kind === 'strings' ? ' (repeatable)' : ''}`;
}

/** Text as roff reads it literally: backslashes and hyphens escaped, no line starting as a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/gm, '\\&$1');
}
