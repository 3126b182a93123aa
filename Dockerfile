# qemu-binfmt as a container entrypoint: registers the image's static QEMU interpreters on the
# host kernel with F, so they keep working after the container exits.
#
#   make image                              # BASE=node:20-bookworm-slim by default
#   make image BASE=my-local/debian-node20  # any local Debian-based image with Node >= 20
#   docker run --cap-add SYS_ADMIN --rm qemu-binfmt enable all
#
# The build stage takes Node and busybox (for mount) from the base and its Debian archive, and the
# static emulators from Debian 13's qemu-user (QEMU 10; QEMU_RELEASE=bookworm would give 7.2's
# qemu-user-static layout, which this build does not take); the image itself holds only those
# files, Node's libraries, the bundled CLI and a record of the emulators' package: no shell, no
# package manager, no documentation.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS qemu
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends busybox-static binutils
# The emulators: a Debian release's qemu-user (static-pie emulators at /usr/bin/qemu-<arch>, and its
# -binfmt-P links), fetched through a private apt index and unpacked: the base's packages stay as they are.
ARG QEMU_RELEASE=trixie
ARG QEMU_MIRROR=http://deb.debian.org/debian
RUN set -e; mkdir -p /tmp/apt/lists/partial /tmp/apt/cache/archives/partial /tmp/apt/debs /tmp/qemu \
 && echo "deb ${QEMU_MIRROR} ${QEMU_RELEASE} main" > /tmp/apt/sources.list \
 && o="-o Dir::Etc::sourcelist=/tmp/apt/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=/tmp/apt/lists -o Dir::Cache=/tmp/apt/cache -o APT::Sandbox::User=root" \
 && apt-get $o update -qq && cd /tmp/apt/debs && apt-get $o download -qq qemu-user \
 && dpkg-deb -x qemu-user_*.deb /tmp/qemu \
 && dpkg-deb -f qemu-user_*.deb Package Version > /tmp/qemu/package
COPY dist/cli.js /out/opt/qemu-binfmt/dist/cli.js
COPY dist/chunks/ /out/opt/qemu-binfmt/dist/chunks/
COPY platforms/deep/ /out/opt/qemu-binfmt/platforms/deep/
COPY platforms/platforms.json /tmp/platforms.json
# The emulators this table uses (each once), Debian's -binfmt-P links to them, the package they
# came from (status --provenance shows it), node (stripped) with the libraries it loads, busybox as
# mount, and the versions of the emulators learnt once, at the paths they have in the image (a dry
# run into an empty directory, which is no binfmt_misc: it plans, learns, and writes nothing).
RUN set -e; mkdir -p /out/usr/bin /out/usr/libexec /out/usr/local/bin /out/bin /out/tmp /out/var/cache/qemu-binfmt \
 && chmod 1777 /out/tmp \
 && for b in $(node -e 'for (const b of new Set(require("/tmp/platforms.json").map((p) => p.binary))) console.log(b)'); do \
      cp -a "/tmp/qemu/usr/bin/$b" /out/usr/bin/; done \
 && cp -a /tmp/qemu/usr/libexec/qemu-binfmt /out/usr/libexec/ \
 && node -e 'const [p, v] = require("fs").readFileSync("/tmp/qemu/package", "utf8").trim().split("\n").map((l) => l.split(": ")[1]); require("fs").mkdirSync("/out/usr/share/qemu-binfmt", { recursive: true }); require("fs").writeFileSync("/out/usr/share/qemu-binfmt/emulators.json", JSON.stringify({ package: p, version: v, release: "Debian " + process.argv[1], dir: "/usr/bin" }) + "\n")' "${QEMU_RELEASE}" \
 && node=$(command -v node) && cp "$node" /out/usr/local/bin/node && strip --strip-all /out/usr/local/bin/node \
 && for lib in $(ldd "$node" | grep -o '/[^ ]*'); do mkdir -p "/out$(dirname "$lib")" && cp -L "$lib" "/out$lib"; done \
 && cp /bin/busybox /out/bin/busybox && ln -s busybox /out/bin/mount \
 && mkdir /tmp/empty && cp -a /out/usr/bin/qemu-* /usr/bin/ \
 && { QEMU_BINFMT_CACHE_DIR=/out/var/cache/qemu-binfmt node /out/opt/qemu-binfmt/dist/cli.js enable all --dry-run --interpreter-dir /usr/bin --binfmt-dir /tmp/empty >/dev/null 2>&1 || true; } \
 && test -s /out/var/cache/qemu-binfmt/versions.json

FROM scratch
COPY --from=qemu /out/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
# Installer mode: mount binfmt_misc when missing, and refuse a user-namespaced container,
# whose registrations would be private to it (unless --allow-private).
ENV QEMU_BINFMT_INSTALLER=1
ENTRYPOINT ["node", "/opt/qemu-binfmt/dist/cli.js"]
CMD ["status"]
