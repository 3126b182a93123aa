import { readFileSync } from 'node:fs';

let mine: boolean | undefined;

/** True when this process runs in a user namespace other than the initial one. */
export function inChildUserNamespace(uidMapPath = '/proc/self/uid_map'): boolean {
  // A process stays in its user namespace: this one's is read once.
  if (uidMapPath === '/proc/self/uid_map') return (mine ??= readChild(uidMapPath));
  return readChild(uidMapPath);
}

function readChild(uidMapPath: string): boolean {
  try {
    const map = readFileSync(uidMapPath, 'utf8').trim().split(/\s+/);
    return !(map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    return false;
  }
}
