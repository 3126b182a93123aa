import { formatReport, type Output } from '../format.js';
import type { Report } from '../report.js';

export function write(output: Output): void {
  if (output.stdout.length) process.stdout.write(`${output.stdout.join('\n')}\n`);
  if (output.stderr.length) process.stderr.write(`${output.stderr.join('\n')}\n`);
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Drops undefined values, so that options not given take their documented defaults. */
export function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as never;
}

/** Prints an enable/disable report and sets the exit code: 1 when any target failed. */
export function finish(report: Report, json: boolean | undefined): void {
  const output = formatReport(report);
  if (json) {
    // One line per platform for the log, then the summary to parse.
    write({ stdout: [], stderr: [...output.stdout, ...output.stderr] });
    writeJson(report);
  } else write(output);
  if (!report.ok) process.exitCode = 1;
}
