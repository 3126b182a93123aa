import { expect } from 'chai';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/exec.js';

describe('exec', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qemu-binfmt-exec-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives exit code and output', async () => {
    expect(await run('/bin/sh', ['-c', 'echo out; echo err >&2; exit 3'])).to.deep.equal({
      exitCode: 3,
      signal: undefined,
      timedOut: false,
      stdout: 'out',
      stderr: 'err',
    });
  });

  it('at the timeout kills the whole process group, and does not wait for a pipe an escaped child holds', async () => {
    const script = join(dir, 'hang');
    // A child in the group, and one in a session of its own that keeps stdout open.
    await writeFile(script, '#!/bin/sh\n(sleep 30) &\nsetsid sleep 4 &\necho started\nsleep 30\n');
    await chmod(script, 0o755);
    const started = Date.now();
    const result = await run(script, [], 300);
    expect(result.timedOut).to.equal(true);
    expect(Date.now() - started).to.be.below(3_000);
  });
});
