#!/bin/sh
# Installs what the tests (`setup.sh`) or the demo (`setup.sh demo`) need on a Debian machine,
# after saying what it will install or change on the host. Foreign executables and packages are
# fetched from Debian's archive through a private apt index and unpacked into .cache/: no dpkg
# architecture is added and the host's apt configuration is untouched. Safe to run again: it
# skips what is already there, and says nothing then.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-test}
out=.cache/foreign
log=.cache/setup.log
mkdir -p "$out"

# What is missing: host programs (each with its Debian package), then files for .cache/.
packages=
need() { # command-or-absolute-path package
	case $1 in
	/*) [ -e "$1" ] && return 0 ;;
	*) command -v "$1" >/dev/null 2>&1 && return 0 ;;
	esac
	case " $packages " in *" $2 "*) ;; *) packages="$packages $2" ;; esac
}
need qemu-aarch64-static qemu-user-static
need unshare util-linux
need mount mount
if [ "$mode" = test ]; then
	need qemu-aarch64 qemu-user
	need nix-build nix-bin
	need nsenter util-linux
	need busybox busybox-static
	need systemd-analyze systemd
	need strace strace
	need newuidmap uidmap
	need setpriv util-linux
	need readelf binutils
	need mips-linux-gnu-ld binutils-mips-linux-gnu
	need mips64el-linux-gnuabin32-ld binutils-mips64el-linux-gnuabin32
	need zsh zsh
	need fish fish
	need man man-db
	# Debian's cross compilers: the openat2 test program, and the deep probes rebuilt and compared.
	for pair in aarch64-linux-gnu:arm64 arm-linux-gnueabihf:armhf riscv64-linux-gnu:riscv64 s390x-linux-gnu:s390x powerpc64le-linux-gnu:ppc64el; do
		need "${pair%%:*}-gcc" "gcc-${pair%%:*}"
		need "/usr/${pair%%:*}/include/stdio.h" "libc6-dev-${pair#*:}-cross"
	done
	need xz xz-utils
fi

# Foreign programs: busybox for these architectures; small root filesystems of Debian packages
# (the C library and dynamically linked programs: explain, run --rootfs); binfmt-support's
# update-binfmts, unpacked rather than installed (its postinst would register formats in the
# host's table); Debian 13's QEMU 10 emulators and its own binfmt.d files (the emulators the
# tests use by default; distribution-table tests).
BUSYBOX=arm64
ROOTFS=
[ "$mode" = test ] && BUSYBOX="arm64 armhf s390x mipsel" && ROOTFS="arm64 armhf i386"
ROOTFS_arm64="libc6 hello bash coreutils libtinfo6 libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0"
ROOTFS_armhf="libc6 hello"
ROOTFS_i386="libc6 hello"
fetch=
for arch in $BUSYBOX; do [ -x "$out/busybox-$arch" ] || fetch="$fetch busybox-$arch"; done
for arch in $ROOTFS; do [ -e "$out/rootfs-$arch/.complete" ] || fetch="$fetch rootfs-$arch"; done
bs=.cache/binfmt-support
d13=.cache/debian13
if [ "$mode" = test ]; then
	[ -x "$bs/usr/sbin/update-binfmts" ] || fetch="$fetch binfmt-support"
	[ -e "$d13/.emulators" ] || fetch="$fetch debian13-qemu-user"
fi
add_user=
if [ "$mode" = test ] && ! { id qemu-binfmt-test >/dev/null 2>&1 && grep -q '^qemu-binfmt-test:' /etc/subuid 2>/dev/null; }; then
	add_user=1
fi

if [ -n "$packages$add_user" ] && [ "$(id -u)" != 0 ]; then
	echo "setup: run as root: it installs Debian packages ($packages) or adds a test user" >&2
	exit 1
fi
if [ -n "$packages$fetch$add_user" ]; then
	echo "setup: for the $([ "$mode" = test ] && echo tests || echo demo), this will:"
	[ -z "$packages" ] || echo "  - install Debian packages on this host:$packages"
	[ -z "$add_user" ] || echo "  - add the user qemu-binfmt-test (no home, no login shell) with subordinate IDs 300000-365535 (run --map auto)"
	[ -z "$fetch" ] || echo "  - fetch from deb.debian.org into .cache/ (no dpkg architecture added, apt configuration untouched):$fetch"
fi

if [ -n "$packages" ]; then
	echo "setup: installing$packages (log: $log)"
	# apt's own index, as the host has it configured; a mirror in the middle of a sync can fail one index.
	apt-get update -qq >"$log" 2>&1 || echo "setup: apt-get update reported errors (see $log); continuing" >&2
	# shellcheck disable=SC2086 # one word per package
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >>"$log" 2>&1 || {
		cat "$log" >&2
		echo "setup: apt-get install failed" >&2
		exit 1
	}
fi

# apt-get with a private index of Debian RELEASE for ARCHES: its own sources, lists and cache.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's _apt user downloads into it
private_apt() { # dir release arches
	mkdir -p "$1/lists/partial" "$1/cache/archives/partial" "$1/debs"
	chmod 777 "$1/debs"
	echo "deb http://deb.debian.org/debian $2 main" >"$1/sources.list"
	APT="-o Dir::Etc::sourcelist=$1/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$1/lists -o Dir::Cache=$1/cache -o Debug::NoLocking=1 -o APT::Architectures=$3"
	# shellcheck disable=SC2086 # options without spaces (mktemp paths)
	apt-get $APT update -qq
}
download() { # dir package...
	dir=$1
	shift
	# shellcheck disable=SC2086
	(cd "$dir" && apt-get $APT download -qq "$@")
}

if [ -n "$BUSYBOX$ROOTFS" ] && [ -n "$(echo "$fetch" | tr ' ' '\n' | grep -e '^busybox-' -e '^rootfs-' -e '^binfmt-support$')" ]; then
	. /etc/os-release
	private_apt "$tmp/host" "${VERSION_CODENAME:-bookworm}" "$(echo amd64 $BUSYBOX $ROOTFS | tr ' ' '\n' | sort -u | paste -sd,)"
	for arch in $BUSYBOX; do
		[ -x "$out/busybox-$arch" ] && continue
		download "$tmp/host/debs" "busybox-static:$arch"
		dpkg-deb -x "$tmp"/host/debs/busybox-static_*_"$arch".deb "$tmp/$arch"
		cp "$tmp/$arch/bin/busybox" "$out/busybox-$arch"
	done
	for arch in $ROOTFS; do
		rootfs=$out/rootfs-$arch
		[ -e "$rootfs/.complete" ] && continue
		eval "list=\$ROOTFS_$arch"
		mkdir -p "$tmp/$arch-debs" && chmod 777 "$tmp/$arch-debs"
		# shellcheck disable=SC2086,SC2154 # one word per package; list is set by eval
		download "$tmp/$arch-debs" $(printf "%s:$arch " $list)
		for deb in "$tmp/$arch-debs"/*.deb; do dpkg-deb -x "$deb" "$rootfs"; done
		touch "$rootfs/.complete"
	done
	if [ "$mode" = test ] && [ ! -x "$bs/usr/sbin/update-binfmts" ]; then
		download "$tmp/host/debs" binfmt-support
		dpkg-deb -x "$tmp"/host/debs/binfmt-support_*.deb "$bs"
	fi
fi

# Debian 13's QEMU 10: qemu-user's static-pie emulators (/usr/bin/qemu-<arch>), qemu-user-static's
# -static links to them, and qemu-user-binfmt's links into qemu-user's /usr/share/qemu/binfmt.d.
if [ "$mode" = test ] && [ ! -e "$d13/.emulators" ]; then
	private_apt "$tmp/trixie" trixie amd64
	download "$tmp/trixie/debs" qemu-user qemu-user-static qemu-user-binfmt
	rm -rf "$d13" && mkdir -p "$d13"
	for deb in "$tmp"/trixie/debs/*.deb; do dpkg-deb -x "$deb" "$d13"; done
	touch "$d13/.emulators"
fi

# A static arm64 program that calls openat2 (which QEMU 7.2 lacks), from Debian's cross compiler.
if [ "$mode" = test ] && [ ! -x "$out/openat2-arm64" ]; then
	aarch64-linux-gnu-gcc -static -O2 -o "$out/openat2-arm64" test/fixtures/openat2.c
fi

# Two tiny MIPS executables from the real cross linker: o32 big-endian and n32 little-endian.
build_mips() { # name triplet
	[ -x "$out/$1" ] && return 0
	printf '.text\n.globl __start\n__start:\n\tnop\n' >"$out/$1.s"
	"$2-as" -o "$out/$1.o" "$out/$1.s"
	"$2-ld" -o "$out/$1" "$out/$1.o"
	rm -f "$out/$1.s" "$out/$1.o"
}
if [ "$mode" = test ]; then
	build_mips mips-o32 mips-linux-gnu
	build_mips mipsel-n32 mips64el-linux-gnuabin32
fi

# An unprivileged user with subordinate user and group IDs, for run --map auto.
if [ -n "$add_user" ]; then
	id qemu-binfmt-test >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin qemu-binfmt-test
	grep -q '^qemu-binfmt-test:' /etc/subuid 2>/dev/null || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 qemu-binfmt-test
fi

[ -z "$packages$fetch$add_user" ] || echo "setup: done"
