#!/bin/sh
# npm's prepare: builds dist/ on a local npm install and before packing, and when the package is
# installed from git. npm 11 prepares a git install with the outer `npm install -g`'s global
# settings, so the development dependencies land outside the clone: they are installed here then.
set -eu
cd "$(dirname "$0")/.."
unset npm_config_global npm_config_prefix npm_config_global_prefix npm_config_local_prefix npm_config_allow_scripts
[ -d node_modules/esbuild ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
exec node scripts/build.js
