#!/bin/sh
# The demo's steps; scripts/demo.sh runs them inside a private binfmt_misc instance.
set -u
mkdir -p .cache/bin
ln -sf ../../dist/cli.js .cache/bin/qemu-binfmt
PATH="$PWD/.cache/bin:$PATH"
step() { printf '\n$ %s\n' "$*"; "$@"; }
busybox=.cache/foreign/busybox-arm64

printf 'A private binfmt_misc instance: the host table is not touched.\n'
step qemu-binfmt enable arm aarch64
step "$busybox" uname -m
step "$busybox" echo "hello from an arm64 busybox"
step qemu-binfmt status arm aarch64
step qemu-binfmt disable all
step "$busybox" uname -m
printf '(fails as expected: nothing handles arm64 executables any more)\n'
