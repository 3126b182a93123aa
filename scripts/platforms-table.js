// Rewrites the platform table in docs/platforms.md (between the platforms markers) from platforms/.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const table = execFileSync(process.execPath, ['dist/cli.js', 'platforms', '--markdown'], { encoding: 'utf8' });
const readme = readFileSync('docs/platforms.md', 'utf8');
const updated = readme.replace(/(<!-- platforms:start -->\n)[\s\S]*?(<!-- platforms:end -->)/, (_, start, end) => `${start}${table}${end}`);
writeFileSync('docs/platforms.md', updated);
