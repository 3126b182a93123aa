#!/bin/sh
# Side by side in one interleaved run, each command in a fresh private binfmt_misc instance,
# medians (hyperfine), every ratio printed beside its target:
#  - qemu-binfmt enable all + disable all against two bare node starts (target <= 1.3x), and
#    platforms and status against one: the command as installed from the packed tarball (npm pack,
#    then npm install -g into a temporary prefix), whose first run makes its code cache;
#  - status --check all, the health probe of watch's DaemonSet;
#  - rootless: an arm64 busybox sh loop of 200 arm64 program starts under qemu-binfmt run
#    against proot -q qemu-aarch64-static on the same root filesystem (target: >= 3x faster), and
#    run's own overhead over a bare registered exec against one bare node start (target <= 1.5x);
#  - the boot paths: the exported sh script under dash against a printf loop over the same lines
#    (target <= 1.2x; QEMU's qemu-binfmt-conf.sh registers the same way, a shell loop of printf),
#    and systemd-binfmt on exported binfmt.d files against the distro's files (target: equal).
# BENCH_RUNS sets the runs (CI: a quick mode of 3, so it can never silently break).
set -eu
cd "$(dirname "$0")/.."
for tool in hyperfine proot; do
	command -v $tool >/dev/null 2>&1 || {
		echo "bench: installing the Debian package $tool on this host"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null 2>&1
	}
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The installed command: the tarball of dist/ as built (make bench builds it first); its first run makes the code cache.
npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null
npm install -g --prefix "$work/prefix" --offline --no-audit --no-fund "$work"/qemu-binfmt-*.tgz >/dev/null 2>&1
cli=$work/prefix/bin/qemu-binfmt
$cli --version >/dev/null
[ -f "$work/prefix/lib/node_modules/qemu-binfmt/dist/cli.cjs.cache" ] || echo "bench: the first run made no code cache: the command starts without it"
# The interpreters' versions are learnt once (the dry run below), as on any machine after its first enable.
export QEMU_BINFMT_CACHE_DIR="$work/cache"

# The exact lines enable all would write (a dry run against an empty directory touches nothing).
mkdir "$work/empty"
$cli enable all --dry-run --json --binfmt-dir "$work/empty" 2>/dev/null \
	| node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).results)process.stdout.write(r.line)})' \
	> "$work/qemu-binfmt.conf"
{
	echo 'r=/proc/sys/fs/binfmt_misc/register'
	sed "s/'/'\\\\''/g; s/.*/printf '%s\\\\n' '&' > \$r/" "$work/qemu-binfmt.conf"
} > "$work/printf-loop.sh"
$cli export --format sh --output "$work/sh" all >/dev/null
systemd_binfmt=$(ls /lib/systemd/systemd-binfmt /usr/lib/systemd/systemd-binfmt 2>/dev/null | head -1)
# The distro's qemu-*.conf files, and ours for the same platforms (those of our table).
ours=" $($cli platforms --json | sed -n 's/^ *"name": "\(.*\)",$/\1/p' | tr '\n' ' ')"
distro= same=
for f in /usr/lib/binfmt.d/qemu-*.conf; do
	p=$(basename "$f" .conf); p=${p#qemu-}
	case "$ours" in *" $p "*) distro="$distro $f" same="$same $p" ;; esac
done
$cli export --format binfmt.d --output "$work/binfmt.d" $same >/dev/null
echo "$(wc -l < "$work/qemu-binfmt.conf") lines; binfmt.d comparison on $(echo $same | wc -w) platforms"

private() { # a command line run in a fresh private binfmt_misc instance
	printf "unshare --user --map-root-user --mount sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && %s'" "$1"
}
hyperfine --style basic --warmup "${BENCH_WARMUP:-3}" --runs "${BENCH_RUNS:-20}" --export-json "$work/results.json" \
	-n 'namespace + mount only' "$(private 'true')" \
	-n "node -e ''" "$(private 'node -e \"\"')" \
	-n "node -e '' twice" "$(private 'node -e \"\" && node -e \"\"')" \
	-n 'qemu-binfmt platforms' "$(private "$cli platforms >/dev/null 2>&1")" \
	-n 'qemu-binfmt status' "$(private "$cli status >/dev/null 2>&1")" \
	-n 'qemu-binfmt enable all' "$(private "$cli enable all >/dev/null 2>&1")" \
	-n 'qemu-binfmt enable all + disable all' "$(private "$cli enable all >/dev/null 2>&1 && $cli disable all >/dev/null 2>&1")" \
	-n 'qemu-binfmt enable all + status --check all' "$(private "$cli enable all >/dev/null 2>&1 && $cli status --check all >/dev/null")" \
	-n 'sh printf loop (same lines)' "$(private "sh $work/printf-loop.sh")" \
	-n 'exported sh script under dash' "$(private "dash $work/sh/qemu-binfmt.sh >/dev/null")" \
	-n 'systemd-binfmt, exported binfmt.d' "$(private "$systemd_binfmt $work/binfmt.d/*.conf")" \
	-n 'systemd-binfmt, distro binfmt.d' "$(private "$systemd_binfmt $distro")" \
	>/dev/null

node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const own = (name) => (results.find((r) => r.command === name).median - results[0].median) * 1000;
console.log("\nmedian wall time, minus the namespace + mount overhead (" + (results[0].median * 1000).toFixed(1) + " ms):\n");
for (const r of results.slice(1)) console.log(`${r.command.padEnd(40)} ${own(r.command).toFixed(1).padStart(7)} ms`);
const ratio = (a, b, target) => console.log(`${a} / ${b}: ${(own(a) / own(b)).toFixed(2)}x${target ? ` (target ${target})` : ""}`);
const node = "node -e '"''"'";
console.log("");
ratio("qemu-binfmt enable all + disable all", node + " twice", "<= 1.3x");
ratio("qemu-binfmt enable all", node, "");
ratio("qemu-binfmt platforms", node, "");
ratio("qemu-binfmt status", node, "");
console.log(`qemu-binfmt status --check all (a health probe): ${(own("qemu-binfmt enable all + status --check all") - own("qemu-binfmt enable all")).toFixed(1)} ms`);
ratio("exported sh script under dash", "sh printf loop (same lines)", "<= 1.2x");
ratio("systemd-binfmt, exported binfmt.d", "systemd-binfmt, distro binfmt.d", "1.0x");
' "$work/results.json"

# Rootless: the same arm64 busybox as /bin/busybox of a small root filesystem.
mkdir -p "$work/rootfs/bin"
cp .cache/foreign/busybox-arm64 "$work/rootfs/bin/busybox"
bb=$PWD/.cache/foreign/busybox-arm64
loop='i=0; while [ $i -lt 200 ]; do /bin/busybox true; i=$((i+1)); done'
grep '^:qemu-aarch64:' "$work/qemu-binfmt.conf" > "$work/aarch64.line"
# proot takes tens of seconds per loop: fewer runs here, and no warm-up.
hyperfine --style basic --warmup 0 --runs "${BENCH_ROOTLESS_RUNS:-${BENCH_RUNS:-5}}" --export-json "$work/rootless.json" \
	-n "node -e ''" "node -e ''" \
	-n 'bare registered exec (private table)' "$(private "cat $work/aarch64.line > /proc/sys/fs/binfmt_misc/register && $bb true")" \
	-n 'qemu-binfmt run aarch64 -- busybox true' "$cli run aarch64 -- $bb true" \
	-n 'qemu-aarch64-static busybox true (by hand)' "qemu-aarch64-static $bb true" \
	-n 'loop of 200: qemu-binfmt run --rootfs' "$cli run aarch64 --rootfs $work/rootfs -- /bin/busybox sh -c '$loop'" \
	-n 'loop of 200: proot -q qemu-aarch64-static' "proot -q qemu-aarch64-static -r $work/rootfs /bin/busybox sh -c '$loop'" \
	>/dev/null
node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const ms = (name) => results.find((r) => r.command === name).median * 1000;
console.log("\nrootless, median wall time:\n");
for (const r of results) console.log(`${r.command.padEnd(44)} ${(r.median * 1000).toFixed(1).padStart(8)} ms`);
const node = ms("node -e '"''"'");
const overhead = ms("qemu-binfmt run aarch64 -- busybox true") - ms("bare registered exec (private table)");
console.log(`\nrun overhead over a bare registered exec / node -e '"''"': ${(overhead / node).toFixed(2)}x (target <= 1.5x)`);
const speedup = ms("loop of 200: proot -q qemu-aarch64-static") / ms("loop of 200: qemu-binfmt run --rootfs");
console.log(`proot / qemu-binfmt run on the loop of 200: ${speedup.toFixed(2)}x faster (target >= 3x)`);
' "$work/rootless.json"

# BENCH_IMAGE=1: the container image (make image first), on the host kernel as it is used: only
# on a host with no qemu-* entry, and every entry it makes is removed again.
if [ "${BENCH_IMAGE:-}" = 1 ]; then
	image=${IMAGE:-qemu-binfmt:latest}
	dir=/proc/sys/fs/binfmt_misc
	mounted_here=
	if [ ! -e "$dir/register" ]; then mount -t binfmt_misc binfmt_misc "$dir"; mounted_here=1; fi
	if ls "$dir" | grep -q '^qemu-'; then
		echo "bench: image skipped: this host already has qemu-* entries, which must not be touched"
	else
		run="docker run --cap-add SYS_ADMIN --rm $image"
		hyperfine --style basic -N --warmup 2 --runs "${BENCH_RUNS:-10}" --export-json "$work/image.json" \
			-n 'docker run IMAGE with node -e (container start)' "docker run --rm --entrypoint /usr/local/bin/node $image -e ''" \
			--prepare "$run disable all" -n 'docker run IMAGE enable all' "$run enable all" >/dev/null
		$run disable all >/dev/null 2>&1
		node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const r of results) console.log(`${r.command.padEnd(48)} ${(r.median * 1000).toFixed(0).padStart(6)} ms`);
console.log(`docker run IMAGE enable all: ${(results[1].median).toFixed(2)} s (target <= 0.5 s)`);
' "$work/image.json"
		docker image inspect "$image" --format '{{.Size}}' | awk '{ printf "image size: %.1f MB (target <= 450 MB)\n", $1 / 1e6 }'
	fi
	[ -z "$mounted_here" ] || umount "$dir"
fi
