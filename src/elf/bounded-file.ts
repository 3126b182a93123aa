import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { READ_NONBLOCKING } from './layout.js';

/** The most one read takes: headers, tables and chunks are far smaller. */
const MAX_ONE_READ = 2 * 1024 * 1024;

/**
 * A file read at the offsets its own headers name. An offset or length outside the file reads
 * nothing (or what there is), so a header that lies (a file in a tree someone else owns) can
 * neither make a read fail nor make it run away.
 */
export class BoundedFile {
  private constructor(
    private readonly fd: number,
    private readonly owned: boolean,
    readonly size: number,
  ) {}

  /** A path (opened without blocking), or a descriptor that stays open. */
  static open(file: string | number): BoundedFile {
    const fd = typeof file === 'number' ? file : openSync(file, READ_NONBLOCKING);
    try {
      return new BoundedFile(fd, fd !== file, fstatSync(fd).size);
    } catch (err) {
      if (fd !== file) closeSync(fd);
      throw err;
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size || !(length > 0)) return new Uint8Array(0);
    const buffer = new Uint8Array(Math.min(length, this.size - offset, MAX_ONE_READ));
    return buffer.subarray(0, readSync(this.fd, buffer, 0, buffer.length, offset));
  }

  close(): void {
    if (this.owned) closeSync(this.fd);
  }
}
