import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_LINE } from '../helpers/memory.js';
import { ROOT } from '../helpers/paths.js';
import { BINFMT, PrivateInstance } from '../helpers/private-instance.js';
import { within } from '../helpers/wait.js';

/**
 * The JSON contract (docs/json.md): every command's --json, run for real in a private instance,
 * is one document that docs/json.schema.json accepts, whose `ok` is its exit code; watch --json
 * prints events the schema accepts, one per line.
 */
const schema = JSON.parse(await readFile(join(ROOT, 'docs/json.schema.json'), 'utf8')) as { $id: string };
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
ajv.addSchema(schema);
const validator = (ref: string) => ajv.getSchema(`${schema.$id}${ref}`)!;
const envelope = validator('');
const event = validator('#/$defs/watchEvent');
const lock = validator('#/$defs/lock');

function valid(check: typeof envelope, value: unknown, what: string): void {
  expect(check(value), `${what}: ${ajv.errorsText(check.errors)}`).to.equal(true);
}

describe('the JSON contract: every command, one envelope, valid against docs/json.schema.json', function () {
  this.timeout(120_000);
  let instance: PrivateInstance;
  let root = '';

  before(async function () {
    instance = await PrivateInstance.start(this);
    root = await mkdtemp(join(tmpdir(), 'qemu-binfmt-json-'));
    await mkdir(join(root, 'image/usr/lib/systemd'), { recursive: true });
    await writeFile(join(root, 'image/usr/lib/systemd/systemd-binfmt'), '');
    await mkdir(join(root, 'image/usr/bin'));
    for (const qemu of ['qemu-aarch64-static', 'qemu-arm-static']) await copyFile(`/usr/bin/${qemu}`, join(root, 'image/usr/bin', qemu));
    await instance.registerRaw(PYTHON_LINE.trimEnd());
  });
  after(async () => {
    await instance?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const T = '$T';
  const RUNS: Array<{ args: string[]; command: string | null; code: number; codes?: string[] }> = [
    { args: ['enable', 'aarch64', 'arm', '--dry-run'], command: 'enable', code: 0 },
    { args: ['enable', 'aarch64', 'arm', 'riscv64'], command: 'enable', code: 0 },
    { args: ['enable', 'all', '--credentials', '--force'], command: 'enable', code: 0, codes: ['CREDENTIALS', 'PRIVATE_TABLE'] },
    { args: ['enable', 'aarch64', '--force'], command: 'enable', code: 0 },
    { args: ['enable', 'hexagon', '--interpreter-dir', T], command: 'enable', code: 1, codes: ['INTERPRETER_NOT_FOUND'] },
    { args: ['status'], command: 'status', code: 0 },
    { args: ['status', '--check', 'aarch64'], command: 'status --check', code: 0 },
    { args: ['status', '--check', 'arm', '--no-credentials'], command: 'status --check', code: 1, codes: ['DIFFERS_FROM_OURS'] },
    { args: ['status', '--provenance', 'aarch64'], command: 'status --provenance', code: 0 },
    { args: ['platforms'], command: 'platforms', code: 0 },
    { args: ['export', 'aarch64', 'arm', '--format', 'binfmt.d'], command: 'export', code: 0 },
    { args: ['export', 'aarch64', '--format', 'systemd-unit', '--output', `${T}/out`], command: 'export', code: 0 },
    { args: ['persist', 'aarch64', 'arm', '--root', `${T}/image`], command: 'persist', code: 0 },
    { args: ['unpersist', '--root', `${T}/image`], command: 'unpersist', code: 0 },
    { args: ['unpersist', '--root', `${T}/image`], command: 'unpersist', code: 0, codes: ['NOTHING_PERSISTED'] },
    { args: ['sandbox', 'nix', 'aarch64', 'arm'], command: 'sandbox', code: 0 },
    { args: ['test', 'aarch64', 'arm'], command: 'test', code: 0 },
    { args: ['test', '--deep', 'aarch64', 'mips'], command: 'test', code: 0 },
    { args: ['explain', '/bin/true', `${T}/nothing`], command: 'explain', code: 1, codes: ['ENOENT'] },
    { args: ['doctor'], command: 'doctor', code: 0, codes: ['CREDENTIALS'] },
    { args: ['disable', 'riscv64', 'ppc'], command: 'disable', code: 0 },
    { args: ['status', '--check', 'ppc'], command: 'status --check', code: 1, codes: ['NOT_REGISTERED'] },
    { args: ['sandbox', 'guix', 'ppc'], command: 'sandbox', code: 1, codes: ['NOT_OURS_HERE'] },
    { args: ['disable', 'bogus'], command: 'disable', code: 2, codes: ['UNKNOWN_PLATFORM'] },
    { args: ['status', '--check', '--probe', 'bogus'], command: 'status --check', code: 2, codes: ['UNKNOWN_PLATFORM'] },
    { args: ['watch', 'aarch64', '--interval', '0'], command: 'watch', code: 2, codes: ['USAGE'] },
    { args: ['bogus'], command: null, code: 2, codes: ['USAGE'] },
  ];

  for (const run of RUNS) {
    it(`${run.args.join(' ')} --json: exit ${run.code}`, async () => {
      const r = await instance.cli([...run.args.map((a) => a.replace(T, root)), '--json']);
      const out = JSON.parse(r.stdout) as { ok: boolean; command: string | null; problems: Array<{ code: string }> };
      valid(envelope, out, r.stdout.slice(0, 2000));
      expect(r.exitCode, r.stderr).to.equal(run.code);
      expect(out.command).to.equal(run.command);
      expect(out.ok, 'ok is the exit code').to.equal(run.code === 0);
      const codes = ['problems', 'warnings', 'notices'].flatMap((k) => (out as unknown as Record<string, Array<{ code: string }>>)[k]!);
      for (const code of run.codes ?? []) expect(codes.map((c) => c.code)).to.include(code);
      // Bad input is the envelope alone; the other commands say nothing else either.
      expect(r.stderr === '' || run.code === 2, r.stderr).to.equal(true);
    });
  }

  it('lock prints a lock the schema describes', async () => {
    const r = await instance.cli(['lock', 'aarch64']);
    expect(r.exitCode).to.equal(0);
    valid(lock, JSON.parse(r.stdout), r.stdout);
  });

  it('watch --json: one event per line, each valid, with its kind and a code', async () => {
    await instance.removeEntries('qemu-*');
    const watch = instance.cliInBackground(['watch', 'aarch64', 'arm', '--interval', '0.2', '--json']);
    const registered = async () => (await instance.entryNames()).filter((n) => n.startsWith('qemu-')).length === 2;
    await within(5_000, 'both registered', registered);
    await instance.sh(`echo -1 > ${BINFMT}/qemu-arm; echo 0 > ${BINFMT}/qemu-aarch64`);
    await within(5_000, 'repaired', async () => (await instance.readEntry('qemu-aarch64'))?.startsWith('enabled') === true && registered());
    watch.kill('SIGTERM');
    const ended = await watch;
    const lines = String(ended.stdout).trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { event: string; code?: string });
    for (const [i, e] of events.entries()) valid(event, e, lines[i]!);
    expect(events.filter((e) => e.event === 'repair').map((e) => e.code)).to.include.members(['NOT_REGISTERED', 'ENTRY_DISABLED']);
    expect(events.some((e) => e.event === 'condition' && e.code === 'PRIVATE_TABLE')).to.equal(true);
  });
});
