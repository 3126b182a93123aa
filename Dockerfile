# qemu-binfmt as a container entrypoint: registers the image's static QEMU interpreters on the
# host kernel with F, so they keep working after the container exits.
#
#   make image                              # BASE=node:20-bookworm-slim by default
#   make image BASE=my-local/debian-node20  # any local Debian-based image with Node >= 20
#   docker run --privileged --rm qemu-binfmt enable all
#
# The CLI needs Node >= 20 at run time, so the base image must have it. No registry is needed
# when BASE is a local image: the interpreters come from the base's own Debian archive.
ARG BASE=node:20-bookworm-slim

# Stage 1: the base distribution's statically linked QEMU user-mode emulators.
FROM ${BASE} AS qemu
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-user-static \
 && mkdir /qemu \
 && cp /usr/bin/qemu-*-static /qemu/

# Stage 2: the base, the emulators and the bundled CLI (npm run build) only.
FROM ${BASE}
COPY --from=qemu /qemu/ /usr/bin/
COPY dist/cli.js /opt/qemu-binfmt/dist/cli.js
COPY dist/chunks/ /opt/qemu-binfmt/dist/chunks/
# Installer mode: mount binfmt_misc when missing, and refuse a user-namespaced container,
# whose registrations would be private to it (unless --allow-private).
ENV QEMU_BINFMT_INSTALLER=1
ENTRYPOINT ["node", "/opt/qemu-binfmt/dist/cli.js"]
CMD ["status"]
