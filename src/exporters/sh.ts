import { entryText } from '../entry.js';
import { header } from '../header.js';
import { shellQuote } from '../quote.js';
import type { Exporter } from './types.js';

// POSIX sh (dash, busybox sh): no Node at boot. `start` registers the precomputed lines,
// replacing a same-named entry only if it differs, and reads each back; `stop` removes exactly
// these entries. Exit status 1 if anything failed.
const BODY = `set -u
dir=\${QEMU_BINFMT_DIR:-/proc/sys/fs/binfmt_misc}
nl='
'
failed=0

mounted() { [ -e "$dir/register" ]; }
say() { printf '%s: %s\\n' "$1" "$2"; }
fail() { printf '%s: %s\\n' "$1" "$2" >&2; failed=1; }

start_one() { # name line expected-entry
	if [ -e "$dir/$1" ]; then
		if [ "$(cat "$dir/$1")" = "$3" ]; then say "$1" 'already enabled'; return; fi
		printf '%s' -1 > "$dir/$1" || { fail "$1" 'could not remove the differing entry'; return; }
	fi
	if ! printf '%s\\n' "$2" > "$dir/register"; then fail "$1" 'the kernel refused the line'; return; fi
	if [ "$(cat "$dir/$1" 2>/dev/null)" = "$3" ]; then say "$1" enabled; else fail "$1" 'registered, but it reads back differently'; fi
}

stop_one() { # name line expected-entry: removes it only if it is this script's (enabled or not)
	[ -e "$dir/$1" ] || { say "$1" 'not registered'; return; }
	current=$(cat "$dir/$1")
	if [ "\${current#*"$nl"}" != "\${3#*"$nl"}" ]; then say "$1" 'not registered by this script; left alone'; return; fi
	if printf '%s' -1 > "$dir/$1" && [ ! -e "$dir/$1" ]; then say "$1" removed; else fail "$1" 'could not remove it'; fi
}

case "\${1:-start}" in
start)
	mounted || mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || true
	mounted || { echo "$0: binfmt_misc is not mounted at $dir and could not be mounted" >&2; exit 1; }
	action=start_one ;;
stop)
	mounted || { echo "$0: binfmt_misc is not mounted at $dir: nothing to remove"; exit 0; }
	action=stop_one ;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2 ;;
esac
`;

export const sh: Exporter = ({ targets, regenerate }) => [
  {
    name: 'qemu-binfmt.sh',
    content: [
      '#!/bin/sh',
      ...header({ regenerate }),
      '# Usage: qemu-binfmt.sh [start|stop]',
      BODY,
      ...targets.map(
        ({ registration, line }) =>
          `$action ${registration.name} ${shellQuote(line.trimEnd())} ${shellQuote(entryText(registration))}`,
      ),
      'exit "$failed"',
      '',
    ].join('\n'),
    mode: 0o755,
  },
];
