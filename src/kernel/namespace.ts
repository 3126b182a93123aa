import { readFileSync } from 'node:fs';

/** True when this process runs in a user namespace other than the initial one. */
export function inChildUserNamespace(uidMapPath = '/proc/self/uid_map'): boolean {
  try {
    const map = readFileSync(uidMapPath, 'utf8').trim().split(/\s+/);
    return !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    return false;
  }
}

export const PRIVATE_NAMESPACE_NOTICE =
  'this runs in a user namespace of its own: on Linux >= 6.7 its binfmt_misc table is private to it, ' +
  'so these registrations are not seen by the host and vanish with the namespace';
