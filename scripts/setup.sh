#!/bin/sh
# Installs what the tests and the demo need on a Debian machine, and fetches real foreign
# executables into .cache/foreign/. Safe to run again: it skips what is already there.
set -eu
cd "$(dirname "$0")/.."
out=.cache/foreign
mkdir -p "$out"

need_apt=
for cmd in qemu-aarch64-static qemu-aarch64 nix-build unshare nsenter mount busybox systemd-analyze strace newuidmap setpriv readelf; do
	command -v "$cmd" >/dev/null 2>&1 || need_apt=1
done
for bu in mips-linux-gnu mips64el-linux-gnuabin32; do
	command -v "$bu-ld" >/dev/null 2>&1 || need_apt=1
done

fetched=1
for f in busybox-arm64 busybox-armhf busybox-s390x busybox-mipsel; do
	[ -x "$out/$f" ] || fetched=
done
# binfmt-support's update-binfmts, unpacked rather than installed: its postinst would register
# formats in the host's table.
bs=.cache/binfmt-support
[ -x "$bs/usr/sbin/update-binfmts" ] || fetched=
# Small root filesystems from Debian's packages, unpacked with dpkg-deb -x: the C library and
# dynamically linked programs (explain's "No such file or directory" that is not about the
# program; run --rootfs). arm64 has bash and coreutils too; i386 is the host's own family.
ROOTFS_arm64="libc6 hello bash coreutils libtinfo6 libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0"
ROOTFS_armhf="libc6 hello"
ROOTFS_i386="libc6 hello"
for arch in arm64 armhf i386; do
	[ -x "$out/rootfs-$arch/usr/bin/hello" ] && [ -e "$out/rootfs-$arch/.complete" ] || fetched=
done

if [ -n "$need_apt" ] || [ -z "$fetched" ]; then
	[ "$(id -u)" = 0 ] || { echo "setup: run as root (it installs Debian packages)" >&2; exit 1; }
	for arch in arm64 armhf s390x mipsel i386; do dpkg --add-architecture "$arch"; done
	# A mirror in the middle of a sync can fail one index; the downloads below are checked.
	apt-get update -qq || echo "setup: apt-get update reported errors; continuing" >&2
fi

if [ -n "$need_apt" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		qemu-user-static qemu-user nix-bin util-linux mount busybox-static systemd libpipeline1 strace uidmap binutils \
		binutils-mips-linux-gnu binutils-mips64el-linux-gnuabin32 >/dev/null
fi

if [ -z "$fetched" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for arch in arm64 armhf s390x mipsel; do
		[ -x "$out/busybox-$arch" ] && continue
		(cd "$tmp" && apt-get download -qq "busybox-static:$arch")
		dpkg-deb -x "$tmp"/busybox-static_*_"$arch".deb "$tmp/$arch"
		cp "$tmp/$arch/bin/busybox" "$out/busybox-$arch"
	done
	for arch in arm64 armhf i386; do
		rootfs=$out/rootfs-$arch
		[ -e "$rootfs/.complete" ] && continue
		eval "packages=\$ROOTFS_$arch"
		mkdir -p "$tmp/$arch-debs"
		chmod 755 "$tmp" && chmod 777 "$tmp/$arch-debs" # apt's _apt user downloads there
		# shellcheck disable=SC2086 # one word per package
		(cd "$tmp/$arch-debs" && apt-get download -qq $(printf "%s:$arch " $packages))
		for deb in "$tmp/$arch-debs"/*.deb; do dpkg-deb -x "$deb" "$rootfs"; done
		touch "$rootfs/.complete"
	done
	if [ ! -x "$bs/usr/sbin/update-binfmts" ]; then
		(cd "$tmp" && apt-get download -qq binfmt-support)
		dpkg-deb -x "$tmp"/binfmt-support_*.deb "$bs"
	fi
fi

# Debian 13's own binfmt.d files (qemu-user-binfmt's links into qemu-user's /usr/share/qemu/binfmt.d),
# for the distribution-table tests; fetched from trixie without touching this host's apt configuration.
d13=.cache/debian13
if [ ! -e "$d13/.complete" ]; then
	apt=$(mktemp -d)
	chmod 755 "$apt"
	mkdir -p "$apt/lists/partial" "$apt/debs" && chmod 777 "$apt/debs"
	echo 'deb http://deb.debian.org/debian trixie main' > "$apt/sources.list"
	set -- -o "Dir::Etc::sourcelist=$apt/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt/lists" -o Debug::NoLocking=1
	apt-get "$@" update -qq
	(cd "$apt/debs" && apt-get "$@" download -qq qemu-user qemu-user-binfmt)
	rm -rf "$d13" && mkdir -p "$d13"
	dpkg-deb --fsys-tarfile "$apt"/debs/qemu-user_*.deb | tar -x -C "$d13" ./usr/share/qemu/binfmt.d
	dpkg-deb -x "$apt"/debs/qemu-user-binfmt_*.deb "$d13"
	rm -rf "$apt"
	touch "$d13/.complete"
fi

# Two tiny MIPS executables from the real cross linker: o32 big-endian and n32 little-endian.
build_mips() { # name triplet
	[ -x "$out/$1" ] && return 0
	printf '.text\n.globl __start\n__start:\n\tnop\n' > "$out/$1.s"
	"$2-as" -o "$out/$1.o" "$out/$1.s"
	"$2-ld" -o "$out/$1" "$out/$1.o"
	rm -f "$out/$1.s" "$out/$1.o"
}
build_mips mips-o32 mips-linux-gnu
build_mips mipsel-n32 mips64el-linux-gnuabin32

# An unprivileged user with subordinate user and group IDs, for run --map auto.
if ! id qemu-binfmt-test >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || { echo "setup: run as root (it adds the user qemu-binfmt-test)" >&2; exit 1; }
	useradd --no-create-home --shell /usr/sbin/nologin qemu-binfmt-test
fi
grep -q '^qemu-binfmt-test:' /etc/subuid 2>/dev/null || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 qemu-binfmt-test

echo "setup: ok ($(ls "$out" | tr '\n' ' '))"
