# qemu-binfmt as a container entrypoint: registers the image's static QEMU interpreters on the
# host kernel with F, so they keep working after the container exits.
#
#   make image                              # BASE=node:20-bookworm-slim by default
#   make image BASE=my-local/debian-node20  # any local Debian-based image with Node >= 20
#   docker run --cap-add SYS_ADMIN --rm qemu-binfmt enable all
#
# The build stage takes Node, the static emulators and busybox (for mount) from the base and its
# Debian archive; the image itself holds only those files, Node's libraries and the bundled CLI:
# no shell, no package manager, no documentation.
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS qemu
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-user-static busybox-static binutils
COPY dist/cli.js /out/opt/qemu-binfmt/dist/cli.js
COPY dist/chunks/ /out/opt/qemu-binfmt/dist/chunks/
COPY platforms/platforms.json /tmp/platforms.json
# The emulators this table uses, Debian's -binfmt-P links to them, node (stripped) with the
# libraries it loads, busybox as mount, and the versions of the emulators learnt once.
RUN set -e; mkdir -p /out/usr/bin /out/usr/libexec /out/usr/local/bin /out/bin /out/tmp /out/var/cache/qemu-binfmt \
 && chmod 1777 /out/tmp \
 && for b in $(node -e 'for (const b of new Set(require("/tmp/platforms.json").map((p) => p.binary))) console.log(b)'); do \
      cp -a "/usr/bin/$b-static" /out/usr/bin/; done \
 && cp -a /usr/libexec/qemu-binfmt /out/usr/libexec/ \
 && node=$(command -v node) && cp "$node" /out/usr/local/bin/node && strip --strip-all /out/usr/local/bin/node \
 && for lib in $(ldd "$node" | grep -o '/[^ ]*'); do mkdir -p "/out$(dirname "$lib")" && cp -L "$lib" "/out$lib"; done \
 && cp /bin/busybox /out/bin/busybox && ln -s busybox /out/bin/mount \
 && mkdir /tmp/empty \
 && QEMU_BINFMT_CACHE_DIR=/out/var/cache/qemu-binfmt node /out/opt/qemu-binfmt/dist/cli.js enable all --dry-run --binfmt-dir /tmp/empty >/dev/null 2>&1

FROM scratch
COPY --from=qemu /out/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
# Installer mode: mount binfmt_misc when missing, and refuse a user-namespaced container,
# whose registrations would be private to it (unless --allow-private).
ENV QEMU_BINFMT_INSTALLER=1
ENTRYPOINT ["node", "/opt/qemu-binfmt/dist/cli.js"]
CMD ["status"]
