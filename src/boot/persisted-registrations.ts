import { Tree } from '../fs/tree.js';
import { join } from 'node:path';
import { LOCATIONS } from './locations.js';
import { REGISTERS_PREFIX } from './exporters/types.js';
import { readIfOurs, writtenByUs } from './file-mark.js';
import { decodeBytes, parseRegisterLine, type Registration } from '../codec/register-line.js';
import { entryText, parseEntry, type Entry } from '../codec/entry.js';

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
  /** Who wrote the file: qemu-binfmt (its header says so), or the distribution (or another tool) whose loader reads it at boot. */
  by: 'qemu-binfmt' | 'distribution';
}

/** systemd-binfmt's directories: for one file name, the first that has it wins (binfmt.d(5)). */
const BINFMT_D_DIRS = ['etc/binfmt.d', 'run/binfmt.d', 'usr/local/lib/binfmt.d', 'usr/lib/binfmt.d', 'lib/binfmt.d'];
/** binfmt-support's: the administrator's imported formats, then the packages' own. */
const BINFMTS_DIRS = ['var/lib/binfmts', 'usr/share/binfmts'];

/**
 * What registers each entry at boot under a root, by entry name: the unit and OpenRC script
 * qemu-binfmt wrote, every binfmt.d file systemd-binfmt would load (ours and the distribution's;
 * a file masked by an empty one or a link to /dev/null loads nothing), and binfmt-support's
 * formats. For one entry the first found wins.
 */
export function readPersisted(root: string): Map<string, Persisted> {
  const tree = Tree.of(root);
  try {
    const found = new Map<string, Persisted>();
    const add = (file: string, registrations: Registration[], by: Persisted['by']) => {
      for (const registration of registrations)
        if (!found.has(registration.name)) found.set(registration.name, { file: tree.show(file), registration, by });
    };
    for (const loc of [LOCATIONS.unit, LOCATIONS.openrc]) {
      const file = join(loc.dir, loc.link!.name);
      const content = readIfOurs(tree, file);
      if (content !== undefined) add(file, registrationsIn(content), 'qemu-binfmt');
    }
    // One file per name, from the first directory that has it; loaded in name order, so for one
    // entry the file loaded last is the one that counts.
    const files = new Map<string, string>();
    for (const dir of BINFMT_D_DIRS)
      for (const name of tree.readdir(dir)) if (name.endsWith('.conf') && !files.has(name)) files.set(name, join(dir, name));
    for (const name of [...files.keys()].sort().reverse()) {
      const content = readText(tree, files.get(name)!);
      if (content) add(files.get(name)!, registrationsIn(content), writtenByUs(content) ? 'qemu-binfmt' : 'distribution');
    }
    for (const dir of BINFMTS_DIRS) {
      for (const name of tree.readdir(dir)) {
        const registration = parseBinfmtsFormat(name, readText(tree, join(dir, name)) ?? '');
        if (registration) add(join(dir, name), [registration], 'distribution');
      }
    }
    return found;
  } finally {
    tree.close();
  }
}

/** A small text file's content through the tree (links followed inside it); undefined when it cannot be read. */
function readText(tree: Tree, path: string): string | undefined {
  try {
    return tree.readFile(path, 64 * 1024)?.toString('utf8');
  } catch {
    return undefined;
  }
}

/** A binfmt-support format file (update-binfmts(8): package, interpreter, magic, mask, offset, ...) as a registration. */
function parseBinfmtsFormat(name: string, text: string): Registration | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const field = /^(\w+) (.*)$/.exec(line.trim());
    if (field) fields.set(field[1]!, field[2]!);
  }
  const magic = fields.get('magic');
  const interpreter = fields.get('interpreter');
  if (!magic || !interpreter || (fields.get('type') ?? 'magic') !== 'magic') return undefined;
  const bytes = decodeBytes(magic);
  const yes = (key: string) => fields.get(key) === 'yes';
  return {
    name,
    rule: {
      offset: Number(fields.get('offset') ?? 0),
      magic: bytes,
      mask: fields.has('mask') ? decodeBytes(fields.get('mask')!) : bytes.map(() => 0xff),
    },
    interpreter,
    flags: {
      preserveArgv0: yes('preserve'),
      openBinary: yes('credentials'),
      credentials: yes('credentials'),
      fixBinary: yes('fix_binary'),
    },
  };
}

/**
 * The entries other tools' boot files under a root register at boot (binfmt.d, binfmt-support),
 * as the kernel will show them: what a boot file of ours must yield to or win over.
 */
export function bootEntries(root: string): Entry[] {
  return [...readPersisted(root).values()]
    .filter((p) => p.by !== 'qemu-binfmt')
    .flatMap(({ registration }) => parseEntry(registration.name, entryText(registration)) ?? []);
}
