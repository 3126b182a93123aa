/**
 * What runs inside the new user and mount namespaces, as POSIX sh, so that no second Node
 * starts for a plain run: mount a private binfmt_misc instance, register with the exported sh
 * script (the same lines, host self-test and read-back as enable), bind what was asked, say
 * `ready` on fd 3, and exec the command. With a root filesystem, its mounts (/proc, /dev, /sys,
 * /tmp, /etc/resolv.conf and the binds) are made by MOUNTER (Node and run/mount-rootfs.js),
 * which holds each place open and mounts onto exactly it; then the command runs chrooted with
 * unshare --root, in the same working directory when it exists there. The root filesystem is
 * opened here once, as fd 5: MOUNTER checks that it is the directory run checked outside (fd 4)
 * and works from it, and the chroot goes into exactly it.
 *
 * Arguments: REGISTER-SCRIPT ROOTFS ('' for none) WORKDIR NODE MOUNTER BIND-COUNT [SRC DST]... -- COMMAND...
 * (MOUNTER reads the pairs up to --.)
 */
export const INSIDE = `set -u
reg=$1 root=$2 wd=$3 node=$4 mounter=$5 n=$6
shift 6
dir=/proc/sys/fs/binfmt_misc
die() { printf 'qemu-binfmt: %s\\n' "$1" >&2; exit 1; }
mount -t binfmt_misc binfmt_misc "$dir" 2>/dev/null || die "could not mount a private binfmt_misc instance at $dir"
out=$(QEMU_BINFMT_DIR=$dir sh -c "$reg" qemu-binfmt.sh start 2>&1) || { printf '%s\\n' "$out" >&2; die 'registering in the private table failed'; }
if [ -n "$root" ]; then
	exec 5<"$root" || die "could not open $root"
	"$node" "$mounter" "$root" "$@" || exit 1
	shift $((2 * n))
else
	while [ "$n" -gt 0 ]; do
		mount --rbind "$1" "$2" || die "could not bind $1 to $2"
		shift 2
		n=$((n - 1))
	done
fi
shift
printf 'ready\\n' >&3
exec 3>&-
if [ -n "$root" ]; then
	[ -d "/proc/self/fd/5$wd" ] || wd=/
	exec unshare --root=/proc/self/fd/5 --wd="$wd" -- "$@"
fi
exec "$@"
`;
