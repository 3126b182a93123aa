#!/bin/sh
# make image-test: runs the image for real with docker or podman, or skips with the reason.
# It registers on this machine's kernel (that is the point of the image), checks from the host
# that the entry has F and that a real arm64 executable runs with the host's interpreter path
# hidden, then runs disable all and checks that the host's table is back as before.
set -eu
cd "$(dirname "$0")/.."
image=${IMAGE:-qemu-binfmt:latest}
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
	engine=docker opts='--cap-add SYS_ADMIN' # --privileged fails on VMs without CAP_SYS_RESOURCE
elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
	engine=podman opts='--privileged --ulimit nofile=1024:1024 --ulimit nproc=4096:4096'
else
	echo "image-test: skipped: neither docker nor podman can run containers here"
	exit 0
fi
$engine image inspect "$image" >/dev/null 2>&1 || ENGINE=$engine sh scripts/image.sh
dir=/proc/sys/fs/binfmt_misc
mounted_here=
if [ ! -e "$dir/register" ]; then mount -t binfmt_misc binfmt_misc "$dir"; mounted_here=1; fi
snapshot() { for f in "$dir"/*; do [ "${f##*/}" = register ] || { echo "== $f"; cat "$f"; }; done; }
before=$(snapshot)
fail() {
	echo "image-test: FAILED: $*" >&2
	$engine run --rm $opts "$image" disable aarch64 >/dev/null 2>&1 || true
	# If the image could not remove what it added, remove exactly that entry from here.
	case "$before" in *"== $dir/qemu-aarch64"*) ;; *) [ ! -e "$dir/qemu-aarch64" ] || echo -1 > "$dir/qemu-aarch64" ;; esac
	[ -z "$mounted_here" ] || umount "$dir"
	exit 1
}

start=$(date +%s%N)
$engine run --rm $opts "$image" enable aarch64 || fail "enable aarch64"
echo "image-test: docker run ... enable aarch64 took $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q '^flags: .*F' "$dir/qemu-aarch64" || fail "the host's entry has no F"
interp=$(sed -n 's/^interpreter //p' "$dir/qemu-aarch64")
out=$(unshare --mount sh -c "[ -e '$interp' ] && mount --bind /dev/null '$interp'; exec .cache/foreign/busybox-arm64 uname -m") || fail "the arm64 busybox did not run"
[ "$out" = aarch64 ] || fail "uname -m said $out"
$engine run --rm $opts "$image" disable all >/dev/null || fail "disable all"
[ "$(snapshot)" = "$before" ] || fail "the host's table is not as before"
# This script mounted the host's binfmt_misc only to look at it: leave the host as it was.
[ -z "$mounted_here" ] || umount "$dir"
echo "image-test: ok ($engine): registered from the image with F, ran arm64 with $interp hidden, removed again"
