#!/bin/sh
# make test-boot: persist, proven by a real boot. A Debian 12 tree (debootstrap with systemd,
# kmod and Debian's kernel) gets qemu-binfmt's boot files from `persist --root`, once as binfmt.d
# files and once as the unit, and boots under qemu-system-x86_64 (TCG: KVM does not work on these
# machines). A oneshot unit in the image records the table and runs an arm64 program on the
# serial console, restarts systemd-binfmt (which flushes the table; the unit, PartOf it, is
# restarted with it: its job is waited for) and does it again, then powers off. The VM's
# binfmt_misc is its own kernel's: nothing here touches this machine's table.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test-boot: run as root (debootstrap and mkfs need it)" >&2; exit 1; }
for cmd in debootstrap qemu-system-x86_64 mkfs.ext4; do
	command -v "$cmd" >/dev/null 2>&1 || need=1
done
if [ -n "${need:-}" ]; then
	echo "test-boot: installing Debian packages on this host: debootstrap qemu-system-x86 e2fsprogs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap qemu-system-x86 e2fsprogs >/dev/null
fi

base=.cache/boot
if [ ! -e "$base/rootfs/.complete" ]; then
	rm -rf "$base/rootfs"
	mkdir -p "$base"
	echo "test-boot: debootstrap of Debian 12 (a few minutes)"
	if ! debootstrap --variant=minbase --include=systemd,systemd-sysv,kmod,udev,linux-image-amd64 bookworm "$base/rootfs" \
		http://deb.debian.org/debian >"$base/debootstrap.log" 2>&1; then
		tail -20 "$base/debootstrap.log" >&2
		exit 1
	fi
	touch "$base/rootfs/.complete"
fi
kernel=$(ls "$base"/rootfs/boot/vmlinuz-* | tail -n 1)
initrd=$(ls "$base"/rootfs/boot/initrd.img-* | tail -n 1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# This machine's table, to show that the VMs never touched it.
host_table() { for f in /proc/sys/fs/binfmt_misc/*; do [ -e "$f" ] && [ "${f##*/}" != register ] && { echo "== $f"; cat "$f"; }; done; }
host_before=$(host_table)
failed=0
for via in binfmt.d unit; do
	tree=$work/$via
	cp -a "$base/rootfs" "$tree"
	rm -f "$tree/.complete"
	# The emulators and a foreign program; for the unit, Node and qemu-binfmt on the image's PATH.
	cp /usr/bin/qemu-aarch64-static /usr/bin/qemu-arm-static "$tree/usr/bin/"
	cp .cache/foreign/busybox-arm64 "$tree/usr/local/bin/"
	mkdir -p "$tree/opt/qemu-binfmt"
	cp -a dist "$tree/opt/qemu-binfmt/"
	cp "$(command -v node)" "$tree/usr/local/bin/node"
	printf '#!/bin/sh\nexec /usr/local/bin/node /opt/qemu-binfmt/dist/cli.js "$@"\n' >"$tree/usr/local/bin/qemu-binfmt"
	chmod 755 "$tree/usr/local/bin/qemu-binfmt"
	node dist/cli.js persist aarch64 arm --root "$tree" --via "$via"
	cat >"$tree/etc/systemd/system/boot-check.service" <<-'UNIT'
		[Unit]
		Description=qemu-binfmt boot check
		After=systemd-binfmt.service qemu-binfmt.service multi-user.target
		[Service]
		Type=oneshot
		ExecStart=/bin/sh -c 'exec >/dev/console 2>&1; check() { echo "BOOT-CHECK $1"; for f in /proc/sys/fs/binfmt_misc/qemu-*; do echo "== $f"; sed -n 2p "$f"; done; echo "RUNS $(/usr/local/bin/busybox-arm64 uname -m)"; }; check first; systemctl restart systemd-binfmt; n=0; while systemctl list-jobs --no-legend | grep -q qemu-binfmt && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done; check restarted; echo BOOT-CHECK-END'
		ExecStartPost=/bin/systemctl poweroff
		[Install]
		WantedBy=multi-user.target
	UNIT
	ln -s ../boot-check.service "$tree/etc/systemd/system/multi-user.target.wants/boot-check.service"
	# No login prompt on the console to interleave with what the check prints.
	ln -s /dev/null "$tree/etc/systemd/system/serial-getty@ttyS0.service"
	img=$work/$via.img
	mkfs.ext4 -q -F -d "$tree" "$img" 3G
	rm -rf "$tree"
	echo "test-boot: booting with $via"
	start=$(date +%s)
	timeout 900 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append "root=/dev/vda rw console=ttyS0 quiet" \
		-drive "file=$img,format=raw,if=virtio" >"$work/$via.log" 2>&1 || true
	rm -f "$img"
	log=$(tr -d '\r' <"$work/$via.log")
	want() {
		printf '%s\n' "$log" | sed -n "/BOOT-CHECK $1/,/RUNS/p" | grep -qx "$2" || {
			echo "test-boot: $via ($1): missing \"$2\"" >&2
			failed=1
		}
	}
	for phase in first restarted; do
		want "$phase" '== /proc/sys/fs/binfmt_misc/qemu-aarch64'
		want "$phase" 'interpreter /usr/bin/qemu-aarch64-static'
		want "$phase" '== /proc/sys/fs/binfmt_misc/qemu-arm'
		want "$phase" 'RUNS aarch64'
	done
	if [ "$failed" = 0 ]; then
		echo "test-boot: $via: registered at boot, ran an arm64 program, and again after systemd-binfmt restarted ($(($(date +%s) - start)) s)"
	else
		printf '%s\n' "$log" | tail -40 >&2
	fi
done
if [ "$(host_table)" != "$host_before" ]; then
	echo "test-boot: this machine's binfmt_misc table changed" >&2
	failed=1
fi
exit "$failed"
