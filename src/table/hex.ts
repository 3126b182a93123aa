import { QemuBinfmtError, REPORT_HINT } from '../errors.js';

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new QemuBinfmtError('INTERNAL', `not a hex byte string: ${hex}`, { hint: REPORT_HINT });
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Every byte as \xHH: the only escape binfmt_misc decodes, and safe for NUL and the delimiter. */
export function escapeBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}
