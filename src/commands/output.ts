import { writeSync } from 'node:fs';
import { errnoOf, QemuBinfmtError } from '../errors.js';
import type { Report } from '../operations/report.js';
import { reportEnvelope } from './json.js';
import { formatReport, type Output } from './render.js';

/** Where a command writes: the process's stdout and stderr, or a test's buffers. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Writes the whole text to a file descriptor, synchronously (so output and exit code stay in
 * order); a closed pipe (EPIPE), a full disk (ENOSPC) or any other failure is a named error.
 */
export function writeFd(fd: number, name: string, text: string): void {
  const data = Buffer.from(text);
  for (let done = 0; done < data.length;) {
    try {
      done += writeSync(fd, data, done);
    } catch (err) {
      const errno = errnoOf(err);
      // A non-blocking descriptor that is full: wait a moment and go on.
      if (errno === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      else
        throw new QemuBinfmtError('IO', `cannot write to ${name}${errno ? ` (${errno})` : ''}`, {
          cause: err,
          hint: OUTPUT_HINTS[errno ?? ''] ?? 'check where the output goes',
        });
    }
  }
}

const OUTPUT_HINTS: Record<string, string> = {
  EPIPE: 'the reader of the output went away before it was written',
  ENOSPC: 'the disk the output goes to is full',
  EISDIR: 'the output goes to a directory',
};

export const processIo: Io = {
  stdout: (text) => writeFd(1, 'standard output', text),
  stderr: (text) => writeFd(2, 'standard error', text),
};

/** Text for a terminal or a log: control bytes (terminal escapes) shown as \xHH; newlines and tabs kept. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Writes text lines, with names, paths and entry text from outside shown printable. */
export function write(io: Io, output: Output): void {
  if (output.stdout.length) io.stdout(`${printable(output.stdout.join('\n'))}\n`);
  if (output.stderr.length) io.stderr(`${printable(output.stderr.join('\n'))}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an enable/disable report; its exit code is 1 when any target failed. */
export function finish(io: Io, report: Report, json: boolean | undefined): number {
  if (json) writeJson(io, reportEnvelope(report));
  else write(io, formatReport(report));
  return report.ok ? 0 : 1;
}
