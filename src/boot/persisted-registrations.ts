import { Tree } from '../fs/tree.js';
import { join } from 'node:path';
import { LOCATIONS } from './locations.js';
import { REGISTERS_PREFIX } from './exporters/types.js';
import { readIfOurs } from './file-mark.js';
import { parseRegisterLine, type Registration } from '../codec/register-line.js';

/** The registrations a file written by qemu-binfmt makes: its register lines, or its `# registers:` lines. */
export function registrationsIn(content: string): Registration[] {
  return content
    .split('\n')
    .map((line) => (line.startsWith(REGISTERS_PREFIX) ? line.slice(REGISTERS_PREFIX.length) : line))
    .filter((line) => line.startsWith(':'))
    .map((line) => parseRegisterLine(line))
    .filter((r) => r !== undefined);
}

export interface Persisted {
  file: string;
  registration: Registration;
}

/** What qemu-binfmt has persisted under a root, by entry name (binfmt.d files, the unit, the OpenRC script). */
export function readPersisted(root: string): Map<string, Persisted> {
  const tree = Tree.of(root);
  try {
    const found = new Map<string, Persisted>();
    const binfmtD = LOCATIONS['binfmt.d'].dir;
    const files = tree
      .readdir(binfmtD)
      .filter((n) => n.endsWith('.conf'))
      .map((n) => join(binfmtD, n));
    for (const loc of [LOCATIONS.unit, LOCATIONS.openrc]) files.push(join(loc.dir, loc.link!.name));
    for (const file of files) {
      const content = readIfOurs(tree, file);
      if (content === undefined) continue;
      for (const registration of registrationsIn(content)) found.set(registration.name, { file: tree.show(file), registration });
    }
    return found;
  } finally {
    tree.close();
  }
}
