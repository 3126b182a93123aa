/**
 * What runs inside the new user and mount namespaces, as POSIX sh, so that no second Node
 * starts for a plain run: mount a private binfmt_misc instance, register with the exported sh
 * script (the same lines, host self-test and read-back as enable), bind what was asked, say
 * `ready` on fd 3, and exec the command. With a root filesystem, its mounts (/proc, /dev, /sys,
 * /tmp, /etc/resolv.conf and the binds) are made by MOUNTER (Node and run/mount-rootfs.js),
 * which holds each place open and mounts onto exactly it; then the command runs chrooted with
 * unshare --root, in the same working directory when it exists there. The root filesystem is
 * opened here once, as fd 5: MOUNTER checks that it is the directory run checked outside (fd 4)
 * and works from it, and the chroot goes into exactly it (or into the overlay over it whose path
 * MOUNTER prints, when the root filesystem lacked a mount point this user cannot make).
 *
 * Each step that fails says why on stderr, with all that the tool it ran said, and exits with
 * its own status (EXIT_STEPS), so that run can name the step and its real cause.
 *
 * Arguments: REGISTER-SCRIPT ROOTFS ('' for none) WORKDIR NODE MOUNTER BIND-COUNT [SRC DST]... -- COMMAND...
 * (MOUNTER reads the pairs up to --.)
 */
export const EXIT_STEPS = { binfmt: 3, register: 4, rootfs: 5 } as const;

export const INSIDE = `set -u
reg=$1 root=$2 wd=$3 node=$4 mounter=$5 n=$6
shift 6
dir=/proc/sys/fs/binfmt_misc
die() { printf 'qemu-binfmt: %s\\n' "$2" >&2; exit "$1"; }
out=$(mount -t binfmt_misc binfmt_misc "$dir" 2>&1) || die ${EXIT_STEPS.binfmt} "could not mount a private binfmt_misc instance at $dir: $out"
out=$(QEMU_BINFMT_DIR=$dir sh -c "$reg" qemu-binfmt.sh start 2>&1) || die ${EXIT_STEPS.register} "registering in the private table failed: $out"
if [ -n "$root" ]; then
	# command: a failed redirection of exec would end the shell before die could say why.
	command exec 5<"$root" || die ${EXIT_STEPS.rootfs} "could not open $root"
	over=$("$node" "$mounter" "$root" "$@") || exit ${EXIT_STEPS.rootfs}
	if [ -n "$over" ]; then command exec 5<"$over" || die ${EXIT_STEPS.rootfs} "could not open the overlay $over"; fi
	shift $((2 * n))
else
	while [ "$n" -gt 0 ]; do
		out=$(mount --rbind "$1" "$2" 2>&1) || die ${EXIT_STEPS.rootfs} "could not bind $1 to $2: $out"
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
