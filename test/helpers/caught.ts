import { expect } from 'chai';
import { QemuBinfmtError } from '../../src/errors.js';

/** The QemuBinfmtError that fn throws; fails the test if it throws nothing or something else. */
export function caught(fn: () => unknown): QemuBinfmtError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(QemuBinfmtError);
    return err as QemuBinfmtError;
  }
  throw new Error('expected a QemuBinfmtError, but nothing was thrown');
}

export async function caughtAsync(fn: () => Promise<unknown>): Promise<QemuBinfmtError> {
  try {
    await fn();
  } catch (err) {
    expect(err).to.be.instanceOf(QemuBinfmtError);
    return err as QemuBinfmtError;
  }
  throw new Error('expected a QemuBinfmtError, but nothing was thrown');
}
