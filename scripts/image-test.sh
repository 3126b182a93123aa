#!/bin/sh
# make image-test: runs the image for real with docker or podman, or skips with the reason.
# It registers on this machine's kernel (that is the point of the image), checks from the host
# that the entry has F and that a real arm64 executable runs with the host's interpreter path
# hidden, then removes that entry with the image and checks the host's table is as before.
# It runs only on a host with no qemu-* entry, so that it cannot touch any it did not make.
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

cleanup() {
	# Remove exactly the entry this test made, with the image or else by name, and the mount it made.
	if [ -e "$dir/qemu-aarch64" ]; then
		$engine run --rm $opts "$image" disable aarch64 >/dev/null 2>&1 || true
		[ ! -e "$dir/qemu-aarch64" ] || echo -1 > "$dir/qemu-aarch64"
	fi
	[ -z "$mounted_here" ] || umount "$dir"
}
if ls "$dir" | grep -q '^qemu-'; then
	cleanup
	echo "image-test: skipped: this host already has qemu-* entries, which the test must not touch"
	exit 0
fi
trap cleanup EXIT INT TERM
fail() { echo "image-test: FAILED: $*" >&2; exit 1; }

start=$(date +%s%N)
said=$($engine run --rm $opts "$image" enable aarch64 2>&1) || fail "enable aarch64: $said"
printf '%s\n' "$said"
# The image has no /bin/sh: its host self-test must run a program it has.
case "$said" in *'something else on this host is wrong'*) fail "the host self-test failed inside the image" ;; esac
echo "image-test: $engine run ... enable aarch64 took $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q '^flags: .*F' "$dir/qemu-aarch64" || fail "the host's entry has no F"
interp=$(sed -n 's/^interpreter //p' "$dir/qemu-aarch64")
out=$(unshare --mount sh -c "[ -e '$interp' ] && mount --bind /dev/null '$interp'; exec .cache/foreign/busybox-arm64 uname -m") || fail "the arm64 busybox did not run"
[ "$out" = aarch64 ] || fail "uname -m said $out"
# The image's QEMU is current: a program that opens files with openat2 (which QEMU 7.2 lacks) runs.
out=$(.cache/foreign/openat2-arm64) || fail "the openat2 program failed through the image's entry: $out"
[ "$out" = 'openat2: ok' ] || fail "openat2 said $out"
deep=$($engine run --rm $opts "$image" test --deep aarch64) || fail "test --deep aarch64 through the image: $deep"
printf '%s\n' "$deep"
provenance=$($engine run --rm $opts "$image" status --provenance aarch64) || fail "status --provenance"
printf '%s\n' "$provenance"
case "$provenance" in *"this image's emulators: qemu-user "*) ;; *) fail "status --provenance does not name the image's QEMU package" ;; esac
$engine run --rm $opts "$image" disable aarch64 >/dev/null || fail "disable aarch64"
[ "$(snapshot)" = "$before" ] || fail "the host's table is not as before"

# watch in a detached container: a removed entry comes back, and stopping the container leaves it.
waitfor() { # condition seconds
	n=0
	while ! eval "$1"; do n=$((n + 1)); [ $n -le $(($2 * 10)) ] || return 1; sleep 0.1; done
}
cid=$($engine run -d $opts "$image" watch aarch64 --interval 0.5) || fail "watch aarch64"
waitfor '[ -e "$dir/qemu-aarch64" ]' 20 || fail "watch did not register aarch64"
echo -1 > "$dir/qemu-aarch64"
waitfor '[ -e "$dir/qemu-aarch64" ]' 5 || fail "watch did not bring back the removed entry"
$engine stop "$cid" >/dev/null || fail "$engine stop"
[ -e "$dir/qemu-aarch64" ] || fail "stopping the watch container removed the entry"
$engine rm "$cid" >/dev/null
$engine run --rm $opts "$image" disable aarch64 >/dev/null || fail "disable aarch64"
[ "$(snapshot)" = "$before" ] || fail "the host's table is not as before"
echo "image-test: ok ($engine): registered from the image with F, ran arm64 (openat2, and test --deep) with $interp hidden, removed again; watch repaired a removed entry and left it when stopped"
