import type { Report } from '../operations/report.js';
import { formatReport, type Output } from './render.js';

/** Where a command writes: the process's stdout and stderr, or a test's buffers. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export function write(io: Io, output: Output): void {
  if (output.stdout.length) io.stdout(`${output.stdout.join('\n')}\n`);
  if (output.stderr.length) io.stderr(`${output.stderr.join('\n')}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an enable/disable report; its exit code is 1 when any target failed. */
export function finish(io: Io, report: Report, json: boolean | undefined): number {
  const output = formatReport(report);
  if (json) {
    // One line per platform for the log, then the summary to parse.
    write(io, { stdout: [], stderr: [...output.stdout, ...output.stderr] });
    writeJson(io, report);
  } else write(io, output);
  return report.ok ? 0 : 1;
}
