#!/usr/bin/env bash
# prebuild.sh <context-dir>: the pinned wheels of requirements.txt into <context-dir>/.prebuilt/wheels
# (images/python-common/wheels.sh says why). `platform build` runs this from a copy of the folder
# and names the images folder in CLOUDMART_IMAGES_DIR; run by hand, the folder beside this one is used.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
common=${CLOUDMART_IMAGES_DIR:-$here/..}/python-common
exec bash "$common/wheels.sh" "${1:?usage: prebuild.sh <context-dir>}"
