import { expect } from 'chai';
import { readFileSync } from 'node:fs';
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
