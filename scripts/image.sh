#!/bin/sh
# make image: builds the container image. BASE is a Debian-based image with Node >= 20; when it is
# not present locally and cannot be pulled (no registry), a local one is made from debootstrap
# (minbase) and this machine's node binary, so the build needs only the Debian archive.
set -eu
cd "$(dirname "$0")/.."
engine=${ENGINE:-docker}
image=${IMAGE:-qemu-binfmt:latest}
base=${BASE:-qemu-binfmt-base:bookworm-node}

if ! $engine image inspect "$base" >/dev/null 2>&1 && ! $engine pull "$base" >/dev/null 2>&1; then
	tree=$(mktemp -d)
	trap 'rm -rf "$tree"' EXIT
	echo "image: making $base with debootstrap (minbase) and $(command -v node)"
	debootstrap --variant=minbase bookworm "$tree/root" http://deb.debian.org/debian >/dev/null
	chroot "$tree/root" sh -c 'apt-get install -y -qq --no-install-recommends libstdc++6 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*'
	cp "$(command -v node)" "$tree/root/usr/local/bin/node"
	tar -C "$tree/root" -c . | $engine import - "$base"
fi
$engine build --build-arg "BASE=$base" -t "$image" .
$engine image inspect "$image" --format '{{.Size}}' | awk -v i="$image" '{ printf "image: %s is %.1f MB\n", i, $1 / 1e6 }'
