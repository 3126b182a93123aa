import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformsMarkdown } from '../../src/commands/render.js';
import { PLATFORMS } from '../../src/table/platforms.js';
import { ROOT } from '../helpers/paths.js';

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('carries the platform table generated from platforms/ (make readme)', () => {
    const section = /<!-- platforms:start -->\n([\s\S]*?)<!-- platforms:end -->/.exec(readme)?.[1];
    expect(section).to.equal(`${platformsMarkdown(PLATFORMS).join('\n')}\n`);
  });

  it('the Architecture table names every folder of src/ and each top-level file it says serves every layer, and nothing else', () => {
    const section = /## Architecture\n([\s\S]*?)\n## /.exec(readme)![1]!;
    const named = new Set([...section.matchAll(/^\| (.*?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z-]+)\/`/g)].map((n) => n[1]!)));
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect([...named].sort()).to.deep.equal(folders.sort());
    const files = readdirSync(join(ROOT, 'src')).filter((n) => n.endsWith('.ts') && !['cli.ts', 'index.ts'].includes(n));
    for (const file of files) expect(section, file).to.include(`\`${file}\``);
  });

  it('names the test command that .ci/run calls', () => {
    expect(readme).to.include('make test');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).to.match(/^make test$/m);
  });
});

describe('README figures', () => {
  it('gives the real range of probe sizes', async () => {
    const { probeElf, probeRecord } = await import('../../src/probe/probe-elf.js');
    const sizes = PLATFORMS.filter((p) => probeRecord(p)).map((p) => probeElf(p, probeRecord(p)!).length);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).to.include(`${Math.min(...sizes)} to ${Math.max(...sizes)} bytes`);
  });
});
