import { entryText } from '../../codec/entry.js';
import { header } from '../file-mark.js';
import { shellQuote } from '../quote.js';
import type { Exporter } from './types.js';

// POSIX sh (dash, busybox sh): no Node at boot. `start` registers the precomputed lines,
// replacing a same-named entry only if it differs, then reads all of them back at once (one
// grep, so the cost does not grow with a fork per entry); `stop` removes exactly these entries.
// Exit status 1 if anything failed.
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
# $block: each line of $2 as "$1:line", the way grep -H prints it.
prefixed() {
	block= left=$2$nl
	while [ -n "$left" ]; do block="$block$1:\${left%%"$nl"*}$nl"; left=\${left#*"$nl"}; done
}

start_one() { # name line expected-entry
	if slurp "$dir/$1"; then
		if [ "$content" = "$3$nl" ]; then say "$1" 'already enabled'; return; fi
		printf '%s' -1 > "$dir/$1" || { fail "$1" 'could not remove the differing entry'; return; }
	fi
	if printf '%s\\n' "$2" > "$dir/register"; then written="$written $1"; else fail "$1" 'the kernel refused the line'; fi
}

check_one() { # name line expected-entry: was it written, and does it read back as expected?
	case "$written " in *" $1 "*) ;; *) return ;; esac
	prefixed "$1" "$3"
	# grep printed the entries in the order they were written: consume them one by one.
	case "$rest" in
	"$block"*) rest=\${rest#"$block"}; say "$1" enabled ;;
	*)
		fail "$1" 'registered, but it reads back differently'
		while case "$rest" in "$1:"*) true ;; *) false ;; esac; do rest=\${rest#*"$nl"}; done ;;
	esac
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
		# $written is a list of entry names, split on purpose
		rest=$(cd "$dir" && grep -H '' $written 2>/dev/null)$nl
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
