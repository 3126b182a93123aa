/**
 * What runs inside the new user and mount namespaces, as POSIX sh, so that no second Node
 * starts: mount a private binfmt_misc instance, register with the exported sh script (the same
 * lines, host self-test and read-back as enable), provide /proc, /dev, /sys, /tmp and
 * /etc/resolv.conf in the root filesystem, bind what was asked, say `ready` on fd 3, and exec
 * the command (chrooted with unshare --root, in the same working directory when it exists there).
 *
 * Arguments: REGISTER-SCRIPT ROOTFS ('' for none) WORKDIR BIND-COUNT [SRC DST]... -- COMMAND...
 */
export const INSIDE = `set -u
reg=$1 root=$2 wd=$3 n=$4
shift 4
dir=/proc/sys/fs/binfmt_misc
die() { printf 'qemu-binfmt: %s\\n' "$1" >&2; exit 1; }
mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || die "could not mount a private binfmt_misc instance at $dir"
out=$(QEMU_BINFMT_DIR=$dir sh -c "$reg" qemu-binfmt.sh start 2>&1) || { printf '%s\\n' "$out" >&2; die 'registering in the private table failed'; }
realroot=
[ -n "$root" ] && realroot=$(realpath "$root")
spot() { # PATH KIND: the mount point under the root, made when missing; never one a link leads out of it
	if [ -n "$root" ]; then
		case $(realpath -m "$root$1") in "$realroot"/*) ;; *) die "$root$1 leads outside $root (a symbolic link): refusing to mount there" ;; esac
	fi
	[ -e "$root$1" ] && return
	if [ "$2" = dir ]; then mkdir -p "$root$1"; else mkdir -p "$root\${1%/*}" && : > "$root$1"; fi 2>/dev/null ||
		die "$root$1 is missing and cannot be made (make it, or make $root writable)"
}
if [ -n "$root" ]; then
	for d in /proc /dev /sys; do
		spot $d dir
		mount --rbind $d "$root$d" || die "could not bind $d into $root"
	done
	spot /tmp dir
	mount -t tmpfs tmpfs "$root/tmp" || die "could not mount a tmpfs on $root/tmp"
	# A link there (to /run/..., say) is left alone: following it could write outside the root.
	if [ -f /etc/resolv.conf ] && [ ! -L "$root/etc/resolv.conf" ]; then
		spot /etc/resolv.conf file
		mount --bind /etc/resolv.conf "$root/etc/resolv.conf" || die "could not bind /etc/resolv.conf into $root"
	fi
fi
while [ "$n" -gt 0 ]; do
	if [ -d "$1" ]; then spot "$2" dir; else spot "$2" file; fi
	mount --rbind "$1" "$root$2" || die "could not bind $1 to $root$2"
	shift 2
	n=$((n - 1))
done
shift
printf 'ready\\n' >&3
exec 3>&-
if [ -n "$root" ]; then
	[ -d "$root$wd" ] || wd=/
	exec unshare --root="$root" --wd="$wd" -- "$@"
fi
exec "$@"
`;
