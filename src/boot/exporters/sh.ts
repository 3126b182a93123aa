import { entryText } from '../../codec/entry.js';
import { header } from '../file-mark.js';
import { shellQuote } from '../quote.js';
import type { Exporter } from './types.js';

// POSIX sh (dash, busybox sh): no Node at boot. `start` registers the precomputed lines,
// replacing a same-named entry only if it differs, then reads them all back with one cat and
// compares them at once (the shell's read builtin takes a system call per byte, which costs
// more than the one process); only when they differ is each compared, to name it. `stop`
// removes exactly these entries. Exit status 1 if anything failed.
const BODY = `set -u
dir=\${QEMU_BINFMT_DIR:-/proc/sys/fs/binfmt_misc}
nl='
'
failed=0
written=

mounted() { [ -e "$dir/register" ]; }
say() { printf '%s: %s\\n' "$1" "$2"; }
fail() { printf '%s: %s\\n' "$1" "$2" >&2; failed=1; }
# Reads a file into $content with shell builtins only.
slurp() {
	content=
	[ -e "$1" ] || return 1
	while IFS= read -r l; do content="$content$l$nl"; done < "$1"
}

start_one() { # name line expected-entry
	if slurp "$dir/$1"; then
		if [ "$content" = "$3$nl" ]; then say "$1" 'already enabled'; return; fi
		printf '%s' -1 > "$dir/$1" || { fail "$1" 'could not remove the differing entry'; return; }
	fi
	if printf '%s\\n' "$2" > "$dir/register"; then written="$written $1"; else fail "$1" 'the kernel refused the line'; fi
}

expect_one() { # name line expected-entry: what cat prints for the entries written
	case "$written " in *" $1 "*) expected="$expected$3$nl" ;; esac
}

check_one() { # name line expected-entry: was it written, and does it read back as expected?
	case "$written " in *" $1 "*) ;; *) return ;; esac
	if [ -n "$same" ] || { slurp "$dir/$1" && [ "$content" = "$3$nl" ]; }; then say "$1" enabled; else fail "$1" 'registered, but it reads back differently'; fi
}

stop_one() { # name line expected-entry: removes it only if it is this script's (enabled or not)
	slurp "$dir/$1" || { say "$1" 'not registered'; return; }
	if [ "\${content#*"$nl"}" != "\${3#*"$nl"}$nl" ]; then say "$1" 'not registered by this script; left alone'; return; fi
	if printf '%s' -1 > "$dir/$1" && [ ! -e "$dir/$1" ]; then say "$1" removed; else fail "$1" 'could not remove it'; fi
}

case "\${1:-start}" in
start)
	mounted || mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || true
	mounted || { echo "$0: binfmt_misc is not mounted at $dir and could not be mounted" >&2; exit 1; }
	each start_one
	if [ -n "$written" ]; then
		expected= same=
		each expect_one
		# $written is a list of entry names, split on purpose
		[ "$(cd "$dir" && cat $written 2>/dev/null)$nl" = "$expected" ] && same=1
		each check_one
	fi ;;
stop)
	mounted || { echo "$0: binfmt_misc is not mounted at $dir: nothing to remove"; exit 0; }
	each stop_one ;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2 ;;
esac
exit "$failed"
`;

export const sh: Exporter = ({ targets, regenerate }) => [
  {
    name: 'qemu-binfmt.sh',
    content: [
      '#!/bin/sh',
      ...header({ regenerate }),
      '# Usage: qemu-binfmt.sh [start|stop]',
      '',
      '# The registrations: name, register line, and the entry as the kernel shows it afterwards.',
      'each() {',
      ...targets.map(
        ({ registration, line }) => `\t"$1" ${registration.name} ${shellQuote(line.trimEnd())} ${shellQuote(entryText(registration))}`,
      ),
      '}',
      '',
      BODY,
    ].join('\n'),
    mode: 0o755,
  },
];
