#!/bin/sh
# make image: builds the container image. BASE is a Debian-based image with Node >= 20; when it is
# not present locally and cannot be pulled (no registry), a local one is made from debootstrap
# (minbase) and this machine's node binary, so the build needs only the Debian archive.
set -eu
cd "$(dirname "$0")/.."
engine=${ENGINE:-docker}
image=${IMAGE:-qemu-binfmt:latest}
base=${BASE:-qemu-binfmt-base:bookworm-node}

# The Debian mirror this machine's apt uses (deb822 .sources or a sources.list line); MIRROR overrides.
debian_mirror() {
	[ -n "${MIRROR:-}" ] && { echo "$MIRROR"; return; }
	m=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'
		sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	} | grep -E '^[a-z]+://.*/debian/?$' | head -1)
	[ -n "$m" ] || { echo "image: found no Debian mirror in /etc/apt (a non-Debian host?); set MIRROR=URL of one" >&2; exit 1; }
	echo "$m"
}

if ! $engine image inspect "$base" >/dev/null 2>&1 && ! $engine pull "$base" >/dev/null 2>&1; then
	tree=$(mktemp -d)
	trap 'rm -rf "$tree"' EXIT
	echo "image: making $base with debootstrap (minbase) and $(command -v node)"
	mirror=$(debian_mirror)
	debootstrap --variant=minbase bookworm "$tree/root" "$mirror" >/dev/null
	chroot "$tree/root" sh -c 'apt-get install -y -qq --no-install-recommends libstdc++6 >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*'
	cp "$(command -v node)" "$tree/root/usr/local/bin/node"
	tar -C "$tree/root" -c . | $engine import - "$base"
fi
$engine build --build-arg "BASE=$base" -t "$image" .
$engine image inspect "$image" --format '{{.Size}}' | awk -v i="$image" '{ printf "image: %s is %.1f MB\n", i, $1 / 1e6 }'
