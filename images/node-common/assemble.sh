#!/usr/bin/env bash
# Puts what a CloudMart Node.js image runs into <context-dir>/.prebuilt/: the named server files,
# package.json and the production node_modules, with this shared module copied in. Each service's
# prebuild.sh calls it, because the image's build context is only the service's own folder.
#
#   assemble.sh [--spa] <context-dir> <server file or folder>...
#
# --spa also runs the service's Vite build (npm run build) and puts the result in .prebuilt/public/.
set -euo pipefail

spa=false
if [ "${1:-}" = --spa ]; then spa=true; shift; fi
ctx=$(cd "${1:?usage: assemble.sh [--spa] <context-dir> <file>...}" && pwd)
shift
common=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export npm_config_cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/npm"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# package.json names the module as file:../node-common: the same layout as in the repository.
mkdir "$stage/node-common" "$stage/app"
tar -C "$common" --exclude=./node_modules -cf - . | tar -C "$stage/node-common" -xf -
tar -C "$ctx" --exclude=./node_modules --exclude=./dist --exclude=./.prebuilt -cf - . | tar -C "$stage/app" -xf -

cd "$stage/app"
if $spa; then
  npm ci --no-audit --no-fund --prefer-offline --loglevel=warn
  npm run build -- --outDir "$stage/public" --emptyOutDir
  npm prune --omit=dev --no-audit --no-fund --loglevel=warn
else
  npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=warn
fi

rm -rf "$ctx/.prebuilt"
mkdir -p "$ctx/.prebuilt"
cp -r package.json node_modules "$@" "$ctx/.prebuilt/"
if $spa; then cp -r "$stage/public" "$ctx/.prebuilt/public"; fi
echo "assembled $(du -sh "$ctx/.prebuilt" | cut -f1) in $ctx/.prebuilt"
