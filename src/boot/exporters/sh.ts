import { entryText } from '../../codec/entry.js';
import { header } from '../file-mark.js';
import { shellQuote } from '../quote.js';
import type { Exporter } from './types.js';

// POSIX sh (dash, busybox sh): no Node at boot. `start` registers the precomputed lines,
// replacing a same-named entry only if it differs, then reads them all back with one cat and
// compares them at once (the shell's read builtin takes a system call per byte, which costs
// more than the one process); only when they differ is each compared, to name it. `stop`
// removes exactly these entries. After the writes one host program (/bin/sh -c true) must still
// run; if it does not, the entries just written are removed and put back one at a time, and one
// after which it fails is removed for good (a replaced entry is not put back: the script does not
// keep its line). A platform whose preferences put other emulators first is left to the first of
// them that is enabled. Exit status 1 if anything failed.
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

start_one() { # name line expected-entry preferred-entries
	for p in \${4-}; do
		slurp "$dir/$p" && [ "\${content%%"$nl"*}" = enabled ] || continue
		# The preferences put $p first: ours steps aside (one of ours there, by its rule, is removed).
		slurp "$dir/$1" && [ "\${content#*"$nl"offset }" = "\${3#*"$nl"offset }$nl" ] && printf '%s' -1 > "$dir/$1"
		say "$1" "left to $p, which the preferences put first"
		return
	done
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

host_runs() { /bin/sh -c true 2>/dev/null; }

check_host() { # after the writes: do the host's own programs still run?
	host_runs && return
	for n in $written; do printf '%s' -1 > "$dir/$n" 2>/dev/null; done
	if host_runs; then each retry_one; return; fi
	echo "$0: after registering, /bin/sh -c true failed, and it still fails without the entries just written: something else on this host is wrong" >&2
	failed=1
	each redo_one
}

redo_one() { # name line expected-entry
	case "$written " in *" $1 "*) printf '%s\n' "$2" > "$dir/register" ;; esac
}

retry_one() { # name line expected-entry: registered anew, and removed for good if the host then fails
	case "$written " in *" $1 "*) ;; *) return ;; esac
	printf '%s\n' "$2" > "$dir/register" && host_runs && return
	printf '%s' -1 > "$dir/$1" 2>/dev/null
	fail "$1" "registering it made this host's own programs fail (/bin/sh -c true): it was removed again; check its magic, mask and interpreter"
	rest=
	for n in $written; do [ "$n" = "$1" ] || rest="$rest $n"; done
	written=$rest
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
	[ -n "$written" ] && check_host
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

export const sh: Exporter = ({ targets, regenerate, choices }) => [
  {
    name: 'qemu-binfmt.sh',
    content: [
      '#!/bin/sh',
      ...header({ regenerate }),
      '# Usage: qemu-binfmt.sh [start|stop]',
      '',
      '# The registrations: name, register line, the entry as the kernel shows it afterwards, and the',
      "# emulators the preferences put first (their entries' names).",
      'each() {',
      ...targets.map(
        ({ platform, registration, line }) =>
          `\t"$1" ${registration.name} ${shellQuote(line.trimEnd())} ${shellQuote(entryText(registration))} ${shellQuote((choices?.get(platform.name)?.yieldTo ?? []).join(' '))}`,
      ),
      '}',
      '',
      BODY,
    ].join('\n'),
    mode: 0o755,
  },
];
