#!/usr/bin/env bash
# prebuild.sh <context-dir>: server.js, broker.js and its production node_modules (with the shared module from
# images/node-common, which lies outside this build context) into <context-dir>/.prebuilt/.
# `platform build` runs this from a copy of the folder and names the images folder in
# CLOUDMART_IMAGES_DIR; run by hand from the repository, the folder beside this one is used.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
common=${CLOUDMART_NODE_COMMON:-${CLOUDMART_IMAGES_DIR:-$here/..}/node-common}
[ -x "$common/assemble.sh" ] || { echo "prebuild: no images/node-common at $common; set CLOUDMART_IMAGES_DIR or CLOUDMART_NODE_COMMON" >&2; exit 1; }
exec "$common/assemble.sh" "${1:?usage: prebuild.sh <context-dir>}" server.js broker.js
