/**
 * The attacker: an unprivileged user who owns a tree that root points qemu-binfmt at, and moves
 * its files at the worst moment. A program of its own (started as uid 65534 with setpriv); it
 * prints `ready` once it watches, and one line per move it made. inotify (fs.watch) times it.
 *
 *   swap-dir WATCH DIR NAME TARGET
 *                              when anything appears in the directory WATCH, move DIR/NAME away
 *                              and put a link to TARGET in its place
 *   plant-link DIR NAME TARGET when a temporary file for NAME appears in DIR, put a link to
 *                              TARGET at DIR/NAME (renamed over whatever is there)
 *   swap-on-process DIR NAME TARGET WORD
 *                              when a process whose command line holds WORD appears (polled),
 *                              move DIR/NAME away and put a link to TARGET in its place
 *   flip DIR NAME TARGET MS    for MS milliseconds, make DIR/NAME a link to TARGET and remove it, in turn
 *   flip-dir DIR NAME TARGET MS
 *                              for MS milliseconds, move the directory DIR/NAME away, put a link to
 *                              TARGET in its place, and move it back, in turn
 */
import { readdirSync, readFileSync, renameSync, rmSync, symlinkSync, watch } from 'node:fs';
import { join } from 'node:path';

const [mode = '', ...args] = process.argv.slice(2);
// swap-dir takes the directory to watch first.
const [watchDir = '', dir = '', name = '', target = '', ms = '0'] = mode === 'swap-dir' ? args : ['', ...args];
const say = (line: string) => process.stdout.write(`${line}\n`);
let moves = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Waits without giving up the loop (a move in each state lasts this long). */
const pause = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

function linkAt(path: string): void {
  const temp = `${path}.attack-${process.pid}-${moves++}`;
  symlinkSync(target, temp);
  renameSync(temp, path);
}

if (mode === 'swap-dir') {
  const swapped = join(dir, name);
  const watcher = watch(watchDir, () => {
    watcher.close();
    try {
      renameSync(swapped, `${swapped}.moved`);
      linkAt(swapped);
      say(`swapped ${swapped}`);
    } catch (err) {
      say(`missed: ${String(err)}`);
    }
    process.exit(0);
  });
  say('ready');
} else if (mode === 'plant-link') {
  const watcher = watch(dir, (_event, file) => {
    if (!file?.startsWith(`.${name}.`)) return;
    watcher.close();
    try {
      linkAt(join(dir, name));
      say(`planted ${join(dir, name)}`);
    } catch (err) {
      say(`missed: ${String(err)}`);
    }
    process.exit(0);
  });
  say('ready');
} else if (mode === 'flip') {
  const end = Date.now() + Number(ms);
  const path = join(dir, name);
  say('ready');
  while (Date.now() < end) {
    try {
      linkAt(path);
      pause(1);
      rmSync(path, { force: true });
      pause(1);
    } catch {
      // the tool moved something meanwhile: go on
    }
  }
  say(`flipped ${moves} times`);
} else if (mode === 'swap-on-process') {
  const word = ms;
  say('ready');
  const end = Date.now() + 60_000;
  const poll = () => {
    const hit = readdirSync('/proc').some((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
        return /^\d+$/.test(pid) && argv[0] !== 'unshare' && argv.includes(word);
      } catch {
        return false;
      }
    });
    if (hit) {
      renameSync(join(dir, name), join(dir, `${name}.moved`));
      linkAt(join(dir, name));
      say(`swapped ${join(dir, name)}`);
      process.exit(0);
    }
    if (Date.now() < end) setTimeout(poll, 1);
  };
  poll();
} else if (mode === 'flip-dir') {
  const end = Date.now() + Number(ms);
  const path = join(dir, name);
  say('ready');
  while (Date.now() < end) {
    try {
      renameSync(path, `${path}.moved`);
      linkAt(path);
      pause(1);
      rmSync(path);
      renameSync(`${path}.moved`, path);
      pause(2);
    } catch {
      // the tool holds something meanwhile: go on
    }
  }
  say(`flipped ${moves} times`);
} else {
  process.stderr.write(`attacker: unknown mode ${mode}\n`);
  process.exit(2);
}
