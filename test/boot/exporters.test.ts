import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writtenByUs } from '../../src/boot/file-mark.js';
import { registrationsIn } from '../../src/boot/persisted-registrations.js';
import { exportFiles, type ExportOptions } from '../../src/operations/export.js';
import { EXPORT_FORMATS } from '../../src/options/definitions.js';
import { caught } from '../helpers/caught.js';
import { fakeInterpreterDir } from '../helpers/memory.js';

/** Every boot exporter, from the plan enable makes, written into temporary directories. */
describe('boot exporters, on temporary directories', () => {
  let fake: Awaited<ReturnType<typeof fakeInterpreterDir>>;
  let out: string;
  let options: Omit<ExportOptions, 'format'>;
  before(async () => {
    fake = await fakeInterpreterDir();
    options = {
      interpreterDir: fake.dir,
      host: { machine: 'x86_64', executables: [] },
      command: ['/usr/bin/node', '/opt/qemu-binfmt/cli.js'],
    };
  });
  after(() => fake.remove());
  beforeEach(async () => {
    out = await mkdtemp(join(tmpdir(), 'qemu-binfmt-export-'));
  });
  afterEach(() => rm(out, { recursive: true, force: true }));

  for (const format of EXPORT_FORMATS) {
    it(`${format}: marked as ours, carries exactly the plan's registrations, and writes each file with its mode`, async () => {
      const result = exportFiles(['aarch64', 'arm'], { ...options, format, output: out });
      const lines = result.plan.targets.map((t) => t.line.trimEnd());
      expect(result.files.length).to.be.at.least(1);
      expect(result.written).to.deep.equal(result.files.map((f) => join(out, f.name)));
      for (const f of result.files) {
        expect(writtenByUs(f.content), f.name).to.equal(true);
        expect(await readFile(join(out, f.name), 'utf8')).to.equal(f.content);
        expect((await stat(join(out, f.name))).mode & 0o777).to.equal(f.mode);
      }
      const text = result.files.map((f) => f.content).join('\n');
      if (format === 'binfmt-support') {
        for (const t of result.plan.targets) expect(text).to.include(`interpreter ${t.registration.interpreter}\n`);
      } else for (const line of lines) expect(text, format).to.include(line);
      if (['binfmt.d', 'systemd-unit', 'openrc'].includes(format))
        expect(result.files.flatMap((f) => registrationsIn(f.content).map((r) => r.name)).sort()).to.deep.equal([
          'qemu-aarch64',
          'qemu-arm',
        ]);
      // Shell scripts a shell accepts.
      for (const f of result.files.filter((x) => x.content.startsWith('#!'))) {
        const syntax = await execa('sh', ['-n', join(out, f.name)], { reject: false });
        expect(syntax.exitCode, `${f.name}: ${syntax.stderr}`).to.equal(0);
      }
      // A second export writes the same files again.
      expect(exportFiles(['aarch64', 'arm'], { ...options, format, output: out }).written).to.deep.equal(result.written);
    });
  }

  it('a link where a file would go is refused, naming it, and nothing is written', async () => {
    await symlink('/etc/passwd', join(out, 'qemu-arm.conf'));
    const error = caught(() => exportFiles(['aarch64', 'arm'], { ...options, format: 'binfmt.d', output: out }));
    expect(error.message).to.match(/qemu-arm\.conf is a symbolic link, so nothing was written/);
    expect(await stat(join(out, 'qemu-aarch64.conf')).catch(() => undefined)).to.equal(undefined);
  });

  it('a platform named without an interpreter is a failure of that platform; all leaves it out', () => {
    const named = exportFiles(['aarch64', 'hexagon'], { ...options, interpreterDir: out, format: 'binfmt.d' });
    expect(named.failed.map((f) => [f.platform, f.error.code])).to.deep.include(['hexagon', 'INTERPRETER_NOT_FOUND']);
    const all = exportFiles(['all'], { ...options, format: 'binfmt.d' });
    expect(all.failed).to.deep.equal([]);
    expect(all.plan.skipped.map((s) => s.reason)).to.include('native');
  });
});
