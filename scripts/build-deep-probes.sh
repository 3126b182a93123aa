#!/bin/sh
# Builds platforms/deep/<platform> (qemu-binfmt test --deep) from platforms/deep/deep-probe.c with
# Debian's cross compilers (gcc-<triplet> and libc6-dev-<arch>-cross): static, stripped, and the
# same bytes on every build with the same compilers (no build ID, no paths, no dates).
# OUT=DIR writes them elsewhere (the test that rebuilds them and compares).
set -eu
cd "$(dirname "$0")/.."
out=${OUT:-platforms/deep}
mkdir -p "$out"
for pair in aarch64:aarch64-linux-gnu arm:arm-linux-gnueabihf riscv64:riscv64-linux-gnu s390x:s390x-linux-gnu ppc64le:powerpc64le-linux-gnu; do
	platform=${pair%%:*}
	triplet=${pair#*:}
	"$triplet-gcc" -static -Os -pthread -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--build-id=none -s \
		-ffile-prefix-map="$PWD"=. -o "$out/$platform" platforms/deep/deep-probe.c
done
