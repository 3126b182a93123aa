// npm's prepack and postpack: the packed package.json leaves out the prepare script (it builds
// from source, which the package does not carry, and npm warns about it on every install of a
// tarball); postpack puts package.json back exactly as it was.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const KEPT = 'node_modules/.package.json.unpacked';
if (process.argv[2] === 'strip') {
  const text = readFileSync('package.json', 'utf8');
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  writeFileSync(KEPT, text);
  writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
} else if (existsSync(KEPT)) {
  renameSync(KEPT, 'package.json');
}
