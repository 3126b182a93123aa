import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { platformsMarkdown } from '../src/commands/render.js';
import { probeElf, probeRecord } from '../src/probe/probe-elf.js';
import { PLATFORMS } from '../src/table/platforms.js';
import { ROOT } from './helpers/paths.js';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
const PAGES = ['README.md', 'SECURITY.md', 'CHANGELOG.md', ...DOCS.map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.*)$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

describe('README and docs/', () => {
  it('the README stays within 15 KB and links every page of docs/', () => {
    const readme = read('README.md');
    expect(Buffer.byteLength(readme)).to.be.at.most(15 * 1024);
    for (const page of DOCS) expect(readme, page).to.include(`(docs/${page})`);
  });

  it('every relative link and anchor resolves', () => {
    for (const page of PAGES) {
      const text = read(page).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#') as [string, string | undefined];
        const path = file ? resolve(dirname(join(ROOT, page)), file) : join(ROOT, page);
        expect(existsSync(path), `${page}: ${target} (${relative(ROOT, path)})`).to.equal(true);
        if (anchor) expect([...anchors(readFileSync(path, 'utf8'))], `${page}: ${target}`).to.include(anchor);
      }
    }
  });

  it('docs/platforms.md carries the table generated from platforms/ (make readme)', () => {
    const section = /<!-- platforms:start -->\n([\s\S]*?)<!-- platforms:end -->/.exec(read('docs/platforms.md'))?.[1];
    expect(section).to.equal(`${platformsMarkdown(PLATFORMS).join('\n')}\n`);
  });

  it('the Architecture table names every folder of src/ and each top-level file it says serves every layer, and nothing else', () => {
    const section = /## Architecture\n([\s\S]*?)\n## /.exec(read('docs/architecture.md'))![1]!;
    const named = new Set([...section.matchAll(/^\| (.*?) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([a-z-]+)\/`/g)].map((n) => n[1]!)));
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect([...named].sort()).to.deep.equal(folders.sort());
    const files = readdirSync(join(ROOT, 'src')).filter((n) => n.endsWith('.ts') && !['cli.ts', 'index.ts'].includes(n));
    for (const file of files) expect(section, file).to.include(`\`${file}\``);
  });

  it('names the test command that .ci/run calls', () => {
    expect(read('README.md')).to.include('make test');
    expect(read('.ci/run')).to.match(/^make test$/m);
  });

  it('gives the real range of probe sizes', () => {
    const sizes = PLATFORMS.filter((p) => probeRecord(p)).map((p) => probeElf(p, probeRecord(p)!).length);
    expect(read('docs/registering.md')).to.include(`${Math.min(...sizes)} to ${Math.max(...sizes)} bytes`);
  });
});
