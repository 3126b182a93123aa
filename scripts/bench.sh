#!/bin/sh
# Times enable all / disable all side by side with bare node, systemd-binfmt on the same lines,
# and a shell printf loop, each in a fresh private binfmt_misc instance. Prints medians.
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The exact lines enable all would write (a dry run against an empty directory touches nothing).
mkdir "$work/empty"
node dist/cli.js enable all --dry-run --json --binfmt-dir "$work/empty" 2>/dev/null \
	| node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const r of JSON.parse(s).results)process.stdout.write(r.line)})' \
	> "$work/qemu-binfmt.conf"
{
	echo 'r=/proc/sys/fs/binfmt_misc/register'
	sed "s/'/'\\\\''/g; s/.*/printf '%s\\\\n' '&' > \$r/" "$work/qemu-binfmt.conf"
} > "$work/printf-loop.sh"
echo "$(wc -l < "$work/qemu-binfmt.conf") lines"

private() { # a command line run in a fresh private binfmt_misc instance
	printf "unshare --user --map-root-user --mount sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && %s'" "$1"
}
cli="node $PWD/dist/cli.js"
hyperfine --style basic --warmup 3 --runs "${BENCH_RUNS:-20}" --export-json "$work/results.json" \
	-n 'namespace + mount only' "$(private 'true')" \
	-n "node -e ''" "$(private 'node -e \"\"')" \
	-n 'qemu-binfmt enable all' "$(private "$cli enable all >/dev/null 2>&1")" \
	-n 'qemu-binfmt enable all + disable all' "$(private "$cli enable all >/dev/null 2>&1 && $cli disable all >/dev/null 2>&1")" \
	-n 'systemd-binfmt (same lines)' "$(private "/lib/systemd/systemd-binfmt $work/qemu-binfmt.conf")" \
	-n 'sh printf loop (same lines)' "$(private "sh $work/printf-loop.sh")" \
	>/dev/null

node -e '
const { results } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const ms = (r) => r.median * 1000;
const base = ms(results[0]);
const node = ms(results.find((r) => r.command === "node -e '"''"'")) - base;
console.log("\nmedian wall time, minus the namespace + mount overhead (" + base.toFixed(1) + " ms):\n");
for (const r of results.slice(1)) {
  const own = ms(r) - base;
  console.log(`${r.command.padEnd(40)} ${own.toFixed(1).padStart(7)} ms   ${(own / node).toFixed(2)}x bare node`);
}
console.log("\ntarget: qemu-binfmt enable all <= 1.5x bare node");
' "$work/results.json"
