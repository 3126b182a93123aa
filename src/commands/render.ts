import type { EmulatorsRecord, Provenance } from '../operations/provenance.js';
import type { Platform } from '../table/platforms.js';
import { aliasesOf, PLATFORMS } from '../table/platforms.js';
import type { Explanation } from '../operations/explain.js';
import type { ProbeReport } from '../operations/test.js';
import { probeFailed } from '../probe/run-probe.js';
import type { Outcome, Report } from '../operations/report.js';
import type { PlatformStatus, StatusReport } from '../operations/status.js';
import { CONDITIONS, conditionText, shared, type Said } from '../conditions.js';

export interface Output {
  stdout: string[];
  stderr: string[];
}

const LABELS: Record<Outcome, string> = {
  enabled: 'enabled',
  replaced: 'replaced',
  unchanged: 'already enabled',
  'would-enable': 'would enable',
  'would-replace': 'would replace',
  removed: 'removed',
  'would-remove': 'would remove',
  absent: 'not registered',
  kept: 'kept',
  yielded: 'left to another emulator',
  failed: 'failed',
};

/** A condition as one line: its severity, the problem, and what to do. */
export const conditionLine = (c: Said): string => `${c.severity}: ${conditionText(c)}`;

export function formatReport(report: Report): Output {
  const out: Output = {
    stdout: [],
    stderr: report.conditions.map(conditionLine),
  };
  for (const r of report.results.filter((x) => x.outcome !== 'absent')) {
    const what =
      r.outcome === 'failed'
        ? r.error?.message
        : r.outcome === 'yielded'
          ? undefined
          : [r.interpreter, r.flags !== undefined ? `flags=${r.flags}` : ''].filter(Boolean).join(' ');
    out.stdout.push(`${r.entry}: ${LABELS[r.outcome]}${what ? `: ${what}` : ''}`);
    if (r.outcome === 'failed' && r.error?.hint) out.stdout.push(`  hint: ${r.error.hint}`);
    else if (r.detail && r.outcome !== 'unchanged') out.stdout.push(`  ${r.detail}`);
    if (r.note) out.stdout.push(`  note: ${r.note}`);
    if (report.dryRun && r.line) out.stdout.push(`  line: ${r.line.trimEnd()}`, `  checks: ${r.checks?.join('; ')}`);
    out.stderr.push(...r.warnings.filter((w) => w.code !== 'QEMU_KNOWN_PROBLEM').map(conditionLine));
  }
  // An emulator's known problem, said once for every entry it concerns.
  const known = report.results.flatMap((r) => r.warnings.filter((w) => w.code === 'QEMU_KNOWN_PROBLEM').map((w) => [r.entry, w] as const));
  out.stderr.push(...shared(known).map(conditionLine));
  // A platform's further rule (microblaze's em189) is named by its entry, so that a pair half there reads right.
  const absent = report.results.filter((r) => r.outcome === 'absent').map((r) => (r.entry === `qemu-${r.platform}` ? r.platform : r.entry));
  if (absent.length) out.stdout.push(`not registered (nothing to remove): ${absent.join(' ')}`);
  for (const reason of ['native', 'no-interpreter'] as const) {
    const names = [...new Set(report.skipped.filter((s) => s.reason === reason).map((s) => s.platform))];
    if (names.length)
      out.stdout.push(`skipped (${reason === 'native' ? 'native on this host' : 'no interpreter found'}): ${names.join(' ')}`);
  }
  for (const c of report.chroots ?? []) {
    if (c.error) out.stdout.push(`${c.dir}: ${c.platform}: failed: ${c.error.message}`);
    else if (c.changed.length || c.already.length) {
      const verb = report.command === 'enable' ? 'bound' : 'unbound';
      const what = c.changed.length ? `${verb} ${c.changed.map((p) => p.slice(c.dir.length)).join(' ')}` : 'already bound';
      out.stdout.push(`${c.dir}: ${c.platform}: ${what}`);
    }
  }
  const failures = report.results.filter((r) => r.outcome === 'failed').length;
  if (failures) out.stderr.push(`qemu-binfmt: ${failures} of ${report.results.length} failed`);
  return out;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function notes(p: PlatformStatus): string {
  const notes: string[] = [];
  if (p.interpreterPresent === false) notes.push('interpreter missing');
  if (p.interpreterStatic === true) notes.push('static');
  if (p.interpreterStatic === false) notes.push('dynamic');
  if (p.matchesTable === false) notes.push('magic/mask differ from our table');
  if (p.native) notes.push(p.nativeReason === 'captures-host' ? 'native (would capture host binaries)' : 'native');
  if (p.sandboxVisible === 'if-bound-or-listed') notes.push('chroots see it only if bound or listed');
  if (p.sandboxVisible === 'no') notes.push('chroots cannot run it (F with a dynamic interpreter)');
  if (p.drift === 'not-registered') notes.push(`persisted in ${p.persisted}, but not registered now`);
  if (p.drift === 'differs') notes.push(`differs from ${p.persisted}: ${p.driftDetail}`);
  if (p.servedBy && !p.servedBy.ours) notes.push(`served by ${p.servedBy.entry} (${p.servedBy.interpreter})`);
  return notes.join(', ');
}

export function formatStatus(report: StatusReport, named: boolean): Output {
  const stdout: string[] = [];
  const stderr = report.privateNamespace ? [conditionLine(CONDITIONS.PRIVATE_TABLE())] : [];
  if (!report.mounted)
    return { stdout, stderr: [...stderr, `qemu-binfmt: ${CONDITIONS.NOT_MOUNTED(report.binfmtDir).problem}: nothing is registered there`] };
  stdout.push(`binfmt_misc: ${report.binfmtDir} (${report.kernelEnabled ? 'enabled' : 'DISABLED: no entry is used'})`);
  // Drift from our own boot files is worth a row; the distribution's files bring back what they name anyway.
  const ours = (p: PlatformStatus) => p.drift !== null && p.persistedBy === 'qemu-binfmt';
  const shown = report.platforms.filter((p) => named || p.registered || ours(p));
  if (shown.length) {
    stdout.push(
      ...table([
        ['PLATFORM', 'ENTRY', 'STATE', 'FLAGS', 'INTERPRETER', 'NOTES'],
        ...shown.map((p) => [
          p.platform,
          p.registered ? p.entry : '-',
          p.registered ? (p.enabled ? 'enabled' : 'disabled') : 'absent',
          p.flags ?? '-',
          p.interpreter ?? '-',
          notes(p),
        ]),
      ]),
    );
  }
  const absent = [
    ...new Set(
      report.platforms
        .filter((p) => !p.registered && !ours(p) && !named)
        .map((p) => (p.entry === `qemu-${p.platform}` ? p.platform : p.entry)),
    ),
  ];
  if (absent.length) stdout.push(`not registered: ${absent.join(' ')}`);
  if (report.foreign.length) {
    stdout.push("other entries (not qemu-binfmt's, never touched):");
    stdout.push(
      ...table(
        report.foreign.map((f) => [
          `  ${f.name}`,
          f.enabled ? 'enabled' : 'disabled',
          f.flags || '-',
          f.bpf
            ? `programmable (bpf handler ${f.bpf.handler}${f.bpf.interpreters.map((i) => `, ${i.name} ${i.path}`).join('')}): what it claims cannot be predicted from userspace`
            : f.interpreter,
        ]),
      ),
    );
  }
  return { stdout, stderr };
}

function elfKind(p: Platform): string {
  return `${p.class}-bit ${p.endianness === 'little' ? 'LE' : 'BE'}${p.mipsAbi ? ` ${p.mipsAbi}` : ''}`;
}

export function formatPlatforms(platforms: readonly Platform[]): string[] {
  return table([
    ['PLATFORM', 'FAMILY', 'BINARY', 'ELF', 'ALIASES'],
    ...platforms.map((p) => [p.name, p.family, p.binary, elfKind(p), aliasesOf(p).join(' ')]),
  ]);
}

/** A platform's e_machine numbers: its own, and those of its further rules (microblaze's 0xbd). */
const machines = (p: Platform) =>
  [p, ...PLATFORMS.filter((q) => q.companionOf === p.name)].map((q) => `0x${q.machine.toString(16).padStart(2, '0')}`).join(', ');

/** The platform table of docs/platforms.md (one row per platform). */
export function platformsMarkdown(platforms: readonly Platform[]): string[] {
  platforms = platforms.filter((p) => !p.companionOf);
  return [
    '| platform | family | QEMU binary | ELF | e_machine | aliases |',
    '| --- | --- | --- | --- | --- | --- |',
    ...platforms.map(
      (p) =>
        `| ${p.name} | ${p.family} | ${p.binary} | ${elfKind(p)} | ${machines(p)} | ${aliasesOf(p)
          .map((a) => `\`${a}\``)
          .join(' ')} |`,
    ),
  ];
}

export function formatProbeReport(report: ProbeReport): Output {
  const label = (o: string) => (o === 'pass' ? 'ok' : o === 'no-probe' ? 'untested' : 'FAILED');
  const stdout = report.results.flatMap((r) => [
    `${r.entry}: ${label(r.outcome)}: ${r.detail}`,
    // test --deep: what each failing call means, and the known problem that explains it.
    ...(r.deep?.calls ?? [])
      .filter((c) => c.fails)
      .map((c) => `  ${c.call}: ${c.result}: ${c.consequence ?? ''}${c.fact ? ` (${c.fact.code}; fix: ${c.fact.fix})` : ''}`),
  ]);
  if (!report.results.length) stdout.push('nothing to test: no qemu-binfmt entry is registered');
  const failed = report.results.filter(probeFailed).length;
  const stderr = [
    ...report.conditions.map(conditionLine),
    ...(failed ? [`qemu-binfmt: ${failed} of ${report.results.length} failed`] : []),
  ];
  return { stdout, stderr };
}

export function formatExplanations(explanations: readonly Explanation[]): Output {
  const stdout: string[] = [];
  for (const e of explanations) {
    stdout.push(`${e.file}: ${e.verdict}`, ...e.reasons.map((r) => `  - ${r}`), ...e.fixes.map((f) => `  fix: ${f}`));
  }
  return { stdout, stderr: [] };
}

export function formatProvenance(facts: readonly Provenance[], emulators?: EmulatorsRecord): Output {
  const image = emulators
    ? [`this image's emulators: ${emulators.package} ${emulators.version} (${emulators.release}) in ${emulators.dir}`]
    : [];
  if (!facts.length) return { stdout: [...image, 'no qemu-<platform> entry is registered'], stderr: [] };
  const rows = facts.map((f) => [
    f.entry,
    f.version ?? '-',
    f.static === null ? '-' : f.static ? 'static' : 'dynamic',
    f.size === null ? 'missing' : String(f.size),
    f.sha256?.slice(0, 16) ?? '-',
    f.package ?? '-',
    f.interpreter,
  ]);
  return {
    stdout: [...image, ...table([['ENTRY', 'VERSION', 'LINKED', 'SIZE', 'SHA256', 'PACKAGE', 'INTERPRETER'], ...rows])],
    stderr: [],
  };
}
