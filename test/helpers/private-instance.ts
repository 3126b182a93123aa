import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { runCli, type CliResult } from './cli.js';
import { CLI, skipOrFail } from './paths.js';

export const BINFMT = '/proc/sys/fs/binfmt_misc';

/** The host's binfmt_misc mounted, as systemd hosts have it (a mount adds no entry); undo unmounts it only if it was not. */
export async function mountHostTable(): Promise<{ undo: () => Promise<void> }> {
  if ((await execa('mountpoint', ['-q', BINFMT], { reject: false })).exitCode === 0) return { undo: () => Promise.resolve() };
  await execa('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT]);
  return { undo: async () => void (await execa('umount', [BINFMT], { reject: false })) };
}

/** The host's table as its files read (register left out), to compare before and after. */
export async function hostTable(): Promise<string> {
  return (
    await execa('sh', ['-c', `cd ${BINFMT} && for f in *; do [ "$f" = register ] || { echo "== $f"; cat "$f"; }; done`], { reject: false })
  ).stdout;
}
interface Holder {
  kill: () => void;
  done: Promise<unknown>;
}

/**
 * A private binfmt_misc instance (Linux >= 6.7): a user + mount namespace held open by a
 * sleeping process, where binfmt_misc is freshly mounted. Commands enter it with nsenter.
 * The mount is chained with && so that nothing can reach the host's table if it fails.
 */
export class PrivateInstance {
  private constructor(
    private readonly holder: Holder,
    readonly pid: number,
  ) {}

  /** ids: how many user and group IDs from 0 up are mapped (more than 1: root and other users, nobody among them). */
  static async start(ctx: Mocha.Context, ids = 1): Promise<PrivateInstance> {
    // uid and gid 0 are mapped from outside (as root), so that setgroups stays allowed inside,
    // as build sandboxes such as Nix's need; the mount waits for the mapping.
    const holder = execa(
      'unshare',
      [
        '--user',
        '--mount',
        'sh',
        '-c',
        `echo pid $$; while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.01; done; mount -t binfmt_misc binfmt_misc ${BINFMT} && echo ready && exec sleep 3600`,
      ],
      { reject: false, stdin: 'ignore', buffer: false },
    );
    let text = '';
    const waitFor = (re: RegExp) =>
      new Promise<RegExpExecArray | undefined>((resolve) => {
        const check = () => {
          const match = re.exec(text);
          if (match) resolve(match);
        };
        holder.stdout?.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          check();
        });
        holder.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
        void holder.then(() => resolve(re.exec(text) ?? undefined));
        check();
      });
    const pid = await waitFor(/^pid (\d+)\n/);
    if (pid) {
      try {
        writeFileSync(`/proc/${pid[1]}/uid_map`, `0 0 ${ids}`);
        writeFileSync(`/proc/${pid[1]}/gid_map`, `0 0 ${ids}`);
      } catch (err) {
        text += String(err);
        holder.kill();
      }
    }
    const ready = pid && (await waitFor(/\nready\n/));
    if (!pid || !ready) {
      holder.kill();
      skipOrFail(ctx, `no private binfmt_misc instance (needs root and Linux >= 6.7): ${text.trim()}`);
    }
    return new PrivateInstance({ kill: () => holder.kill('SIGKILL'), done: holder.then(() => undefined) }, Number(pid[1]));
  }

  /** The prefix that runs a command inside the instance. */
  get prefix(): string[] {
    return ['nsenter', '-t', String(this.pid), '-U', '-m', '--'];
  }

  cli(args: readonly string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): Promise<CliResult> {
    return runCli(args, { prefix: this.prefix, env, ...options });
  }

  /** The CLI started inside the instance and left running (watch), its output kept. */
  cliInBackground(args: readonly string[]) {
    return execa(this.prefix[0]!, [...this.prefix.slice(1), process.execPath, CLI, ...args], {
      reject: false,
      env: { QEMU_BINFMT_DIR: '' },
      stdin: 'ignore',
    });
  }

  /** Removes the instance's entries whose names match a shell pattern (default: all of them). */
  async removeEntries(pattern = '*'): Promise<void> {
    await this.sh(`cd ${BINFMT} && for f in ${pattern}; do case $f in register|status) ;; *) [ -e "$f" ] && echo -1 > "$f";; esac; done`);
  }

  /** Every file of the instance's table with its text: what must not change. */
  async snapshot(): Promise<string> {
    const r = await this.sh(`cd ${BINFMT} && for f in *; do [ "$f" = register ] && continue; printf '== %s\n' "$f"; cat "$f"; done`);
    return r.stdout;
  }

  /** Runs a shell script inside the instance. */
  async sh(script: string): Promise<CliResult> {
    const r = await execa(this.prefix[0]!, [...this.prefix.slice(1), 'sh', '-c', script], { reject: false, stdin: 'ignore' });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Registers a raw line, as another tool would. */
  async registerRaw(line: string): Promise<void> {
    const r = await this.sh(`printf '%s\\n' '${line.replace(/'/g, `'\\''`)}' > ${BINFMT}/register`);
    if (r.exitCode !== 0) throw new Error(`could not register ${line}: ${r.stderr}`);
  }

  async entryNames(): Promise<string[]> {
    const r = await this.sh(`ls ${BINFMT}`);
    return r.stdout.split('\n').filter((n) => n && n !== 'register' && n !== 'status');
  }

  async readEntry(name: string): Promise<string | undefined> {
    const r = await this.sh(`cat ${BINFMT}/${name}`);
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async stop(): Promise<void> {
    this.holder.kill();
    await this.holder.done;
  }
}
