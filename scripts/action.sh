#!/bin/sh
# The GitHub Action (action.yml): registers QEMU user-mode emulators with qemu-binfmt enable,
# without Docker. Inputs arrive as environment variables, never as script text:
#   INPUT_PLATFORMS  names or aliases, space or comma separated, or all (default all)
#   INPUT_EMULATORS  packages | an absolute directory | debian:RELEASE (default packages)
#   INPUT_VERIFY     true | false: probe each platform through the kernel (default true)
# Output: platforms=<registered platforms> appended to $GITHUB_OUTPUT when it is set, and printed.
# Exit codes are the CLI's: 1 something failed, 2 bad input (then nothing was registered).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
mirror=https://deb.debian.org/debian

say() { printf 'qemu-binfmt action: %s\n' "$*" >&2; }
die() { # exit-code message
	code=$1
	shift
	say "$*"
	exit "$code"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- inputs -------------------------------------------------------------------------------
platforms=$(printf '%s' "${INPUT_PLATFORMS:-all}" | tr ',\n\t' '   ')
[ -n "$(printf '%s' "$platforms" | tr -d ' ')" ] || die 2 "platforms is empty: name platforms (aarch64 riscv64 ...) or all"
emulators=${INPUT_EMULATORS:-packages}
case $emulators in
packages | debian:*) ;;
/*) [ -d "$emulators" ] || die 2 "emulators: $emulators is not a directory" ;;
*) die 2 "emulators: '$emulators' is none of packages, an absolute directory, debian:RELEASE (debian:trixie)" ;;
esac
case $emulators in
debian:*)
	release=${emulators#debian:}
	case $release in
	'' | *[!a-z0-9-]*) die 2 "emulators: '$release' is not a Debian release name (trixie, bookworm, ...)" ;;
	esac
	;;
esac
case ${INPUT_VERIFY:-true} in
true) verify=--verify ;;
false) verify= ;;
*) die 2 "verify: '${INPUT_VERIFY}' is neither true nor false" ;;
esac

# --- root: the CLI writes the kernel's table, apt-get installs -----------------------------
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		# sudo resets PATH (interpreters are looked for there) and drops the CLI's own variables.
		sudo --preserve-env=QEMU_BINFMT_DIR,QEMU_BINFMT_CACHE_DIR,QEMU_BINFMT_HOST_ARCH env "PATH=$PATH" "$@"
	else
		die 1 "needs root to register, and sudo is not installed"
	fi
}

# --- the CLI, built from this checkout -----------------------------------------------------
node=$(command -v node) || die 1 "needs Node >= 20.19 on PATH (actions/setup-node)"
if [ ! -f "$root/dist/cli.js" ]; then
	say "building the CLI in $root (npm ci)"
	(cd "$root" && npm ci --no-audit --no-fund >&2)
fi

# Word-split the platforms without expanding globs.
set -f
# shellcheck disable=SC2086 # one argument per platform
set -- $platforms
set +f
for p; do
	case $p in -*) die 2 "platforms: '$p' is not a platform name" ;; esac
done

# --- fetch helpers ---------------------------------------------------------------------------
download() { # url file [hint]
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1"
	else
		die 1 "needs curl or wget to download $1"
	fi || die 1 "cannot download $1${3:+: $3}"
}
sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else
		"$node" -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex") + "\n")' "$1"
	fi
}

debian_arch() {
	m=$(uname -m)
	case $m in
	x86_64) echo amd64 ;;
	aarch64 | arm64) echo arm64 ;;
	armv7* | armv8l) echo armhf ;;
	i?86) echo i386 ;;
	ppc64le) echo ppc64el ;;
	s390x | riscv64) echo "$m" ;;
	*) die 1 "no Debian architecture for this machine ($m)" ;;
	esac
}

# Prints "NAME START LENGTH" of the data.tar member of a .deb (an ar archive). Read with tail
# and head alone, so no dpkg-deb or binutils is needed: ar's header fields are ASCII columns.
deb_data_member() { # deb
	size=$(($(wc -c <"$1")))
	off=8
	while [ "$off" -lt "$size" ]; do
		header=$(tail -c +$((off + 1)) "$1" | head -c 60)
		name=$(printf '%s' "$header" | cut -c1-16 | tr -d ' /')
		len=$(printf '%s' "$header" | cut -c49-58 | tr -d ' ')
		case $len in '' | *[!0-9]*) die 1 "$1 is not a Debian package (no ar header at byte $off)" ;; esac
		case $name in data.tar*)
			echo "$name $((off + 60)) $len"
			return
			;;
		esac
		off=$((off + 60 + len + len % 2))
	done
	die 1 "$1 has no data.tar member"
}

extract_usr_bin() { # deb dir
	member=$(deb_data_member "$1")
	read -r name start len <<EOF
$member
EOF
	case $name in
	data.tar.xz) unpack='xz -dc' ;;
	data.tar.gz) unpack='gzip -dc' ;;
	data.tar.zst) unpack='zstd -dc' ;;
	data.tar) unpack='cat' ;;
	*) die 1 "$1: cannot unpack its $name" ;;
	esac
	mkdir -p "$2"
	tail -c +$((start + 1)) "$1" | head -c "$len" | $unpack | tar -x -C "$2" ./usr/bin
}

# Prints "version filename sha256" of the package with QEMU's static user-mode emulators:
# qemu-user-static, unless that is only the transitional package that depends on qemu-user
# (trixie and later, where qemu-user itself is static).
pick_package() { # Packages file
	awk -v RS= -F '\n' '
		{
			pkg = ""; ver = ""; file = ""; sum = ""; dep = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Package: /) pkg = substr($i, 10)
				else if ($i ~ /^Version: /) ver = substr($i, 10)
				else if ($i ~ /^Filename: /) file = substr($i, 11)
				else if ($i ~ /^SHA256: /) sum = substr($i, 9)
				else if ($i ~ /^Depends: /) dep = substr($i, 10)
			}
			if (pkg == "qemu-user-static") { s = ver " " file " " sum; sdep = dep }
			else if (pkg == "qemu-user") u = ver " " file " " sum
		}
		END {
			if (s != "" && sdep !~ /(^|[ ,])qemu-user([ ,(]|$)/) print s
			else if (u != "") print u
		}' "$1"
}

# Fetches RELEASE's emulators for this machine into the cache (once per version) and prints
# the directory that holds them.
debian_emulators() { # release
	arch=$(debian_arch)
	cache=${QEMU_BINFMT_ACTION_CACHE:-${RUNNER_TEMP:+$RUNNER_TEMP/qemu-binfmt}}
	[ -n "$cache" ] || cache=$(mktemp -d)
	mkdir -p "$cache"
	cache=$(cd "$cache" && pwd) # registered interpreter paths are absolute

	download "$mirror/dists/$1/InRelease" "$work/InRelease" "is $1 a Debian release (trixie, bookworm, sid, stable)?"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	if command -v gpgv >/dev/null 2>&1 && [ -f "$keyring" ]; then
		gpgv --quiet --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>"$work/gpgv" ||
			die 1 "the signature of $mirror/dists/$1/InRelease does not verify: $(cat "$work/gpgv")"
	else
		say "no gpgv or $keyring: $1's index is trusted by HTTPS alone, the package by its SHA256 from that index"
		cp "$work/InRelease" "$work/Release"
	fi
	index=main/binary-$arch/Packages.xz
	index_sum=$(awk -v p="$index" '/^[^ ]/ { s = ($0 == "SHA256:") } s && $3 == p { print $1 }' "$work/Release")
	[ -n "$index_sum" ] || die 1 "Debian $1 has no $index"

	# The index is kept by its hash, so an unchanged release downloads only InRelease.
	packages=$cache/Packages-$index_sum.xz
	if [ ! -f "$packages" ] || [ "$(sha256 "$packages")" != "$index_sum" ]; then
		download "$mirror/dists/$1/$index" "$work/Packages.xz"
		[ "$(sha256 "$work/Packages.xz")" = "$index_sum" ] || die 1 "$mirror/dists/$1/$index does not match its SHA256 in InRelease"
		rm -f "$cache"/Packages-*.xz
		mv "$work/Packages.xz" "$packages"
	fi
	xz -dc "$packages" >"$work/Packages"
	picked=$(pick_package "$work/Packages")
	rm -f "$work/Packages"
	[ -n "$picked" ] || die 1 "Debian $1 ($arch) has neither qemu-user-static nor qemu-user"
	read -r version file sum <<EOF
$picked
EOF

	# No epoch in the directory name: a registered interpreter path must not contain ':'.
	dir=$cache/$1-$arch-${version#*:}
	if [ ! -f "$dir/.complete" ]; then
		say "fetching ${file##*/} from Debian $1"
		download "$mirror/$file" "$work/qemu.deb"
		[ "$(sha256 "$work/qemu.deb")" = "$sum" ] || die 1 "$mirror/$file does not match its SHA256 in Debian's index"
		rm -rf "$dir.partial"
		extract_usr_bin "$work/qemu.deb" "$dir.partial"
		rm -f "$work/qemu.deb"
		touch "$dir.partial/.complete"
		rm -rf "$dir"
		mv "$dir.partial" "$dir"
	fi
	check_static "$dir/usr/bin"
	echo "$dir/usr/bin"
}

# F (the kernel keeps the emulator open, so it works in containers and chroots) needs emulators
# without a program interpreter; the CLI sets F for exactly those, so a dynamic one is an error.
check_static() { # dir
	"$node" --input-type=module - "$root/dist/index.js" "$1" <<'EOF' || die 1 "emulators in $1 are not statically linked"
const [lib, dir] = process.argv.slice(2);
const { readdirSync } = await import('node:fs');
const { pathToFileURL } = await import('node:url');
const { readElfInfo } = await import(pathToFileURL(lib).href);
const names = readdirSync(dir).filter((n) => n.startsWith('qemu-'));
const dynamic = names.filter((n) => !readElfInfo(`${dir}/${n}`).isStatic);
if (!names.length || dynamic.length) {
  console.error(names.length ? `dynamically linked: ${dynamic.join(' ')}` : `no qemu-* in ${dir}`);
  process.exit(1);
}
EOF
}

# Reads the CLI's JSON report (docs/json.md). "codes FILE" prints the problems' codes; "report
# FILE" prints what was done to stderr and the platforms served now to stdout.
envelope() { # mode file
	"$node" --input-type=module - "$@" <<'EOF'
import { readFileSync } from 'node:fs';
const [mode, file] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  process.exit(3);
}
if (mode === 'codes') {
  for (const p of report.problems) console.log(p.code);
  process.exit(0);
}
const serving = report.results.filter((r) => ['enabled', 'replaced', 'unchanged', 'kept'].includes(r.outcome));
for (const r of serving) console.error(`${r.entry}: ${r.outcome}: ${r.interpreter} flags=${r.flags || '-'}`);
const skipped = report.details.skipped ?? [];
if (skipped.length) console.error(`skipped: ${skipped.map((s) => `${s.platform} (${s.reason})`).join(' ')}`);
for (const [kind, findings] of [['notice', report.notices], ['warning', report.warnings], ['error', report.problems]])
  for (const f of findings) console.error(`${kind}: ${f.entry ? `${f.entry}: ` : ''}${f.problem}${f.fix ? `\n  hint: ${f.fix}` : ''}`);
// One platform may have two entries (microblaze's second e_machine): name it once.
console.log([...new Set(serving.map((r) => r.platform))].join(' '));
EOF
}

# --- what to register, from where ---------------------------------------------------------------
case $emulators in /*) set -- "$@" --interpreter-dir "$emulators" ;; esac
# A dry run first: bad platform names fail here (exit 2), before anything is installed or fetched.
rc=0
"$node" "$root/dist/cli.js" enable "$@" --dry-run --json >"$work/plan.json" 2>"$work/plan.err" || rc=$?
if [ "$rc" = 2 ]; then
	cat "$work/plan.err" >&2
	exit 2
fi

case $emulators in
packages)
	if envelope codes "$work/plan.json" | grep -qx INTERPRETER_NOT_FOUND; then
		command -v apt-get >/dev/null 2>&1 ||
			die 1 "no QEMU user-mode emulators found, and no apt-get to install them: use emulators: debian:trixie or a directory"
		say "installing qemu-user-static with apt-get"
		as_root apt-get update -qq >&2
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >&2
	fi
	;;
debian:*)
	dir=$(debian_emulators "${emulators#debian:}")
	set -- "$@" --interpreter-dir "$dir"
	;;
esac

# --- register ------------------------------------------------------------------------------------
# --mount: a runner without binfmt_misc mounted gets it mounted (it is never unmounted).
[ -z "$verify" ] || set -- "$@" --verify
rc=0
as_root "$node" "$root/dist/cli.js" enable "$@" --mount --json >"$work/enable.json" 2>"$work/enable.err" || rc=$?
registered=$(envelope report "$work/enable.json") || {
	cat "$work/enable.err" >&2
	die 1 "qemu-binfmt enable printed no report (exit $rc)"
}
echo "platforms: $registered"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	printf 'platforms=%s\n' "$registered" >>"$GITHUB_OUTPUT"
fi
exit "$rc"
