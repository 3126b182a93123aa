#!/bin/sh
# Runs the main job in a private binfmt_misc instance (Linux >= 6.7), never the host's table:
# enable arm and aarch64, run a real arm64 executable, show status, disable, show it fail.
set -eu
cd "$(dirname "$0")/.."
# The mount is chained with &&: if it fails, nothing runs (and nothing reaches the host's table).
exec unshare --user --map-root-user --mount sh -c '
	mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && exec sh scripts/demo-steps.sh'
