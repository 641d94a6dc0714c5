#!/usr/bin/env bash
# wheels.sh <context-dir>: downloads the pinned wheels of <context-dir>/requirements.txt into
# <context-dir>/.prebuilt/wheels, for the image's Python (CPython 3.11 on Debian bookworm, this
# machine's architecture). Each Python service's prebuild.sh calls it. The Dockerfile installs from
# there with --no-index, so the build itself needs no PyPI access: the machine's pip may reach PyPI
# through settings (a proxy, a CA) that a container does not have. Wheels are kept in
# $CLOUDMART_LAB_CACHE/pip once fetched.
set -euo pipefail
context="${1:?usage: wheels.sh <context-dir>}"
cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}"
arch=$(uname -m)

# Some Python with pip: the one on PATH, else a small virtualenv kept in the cache.
python=python3
if ! "$python" -m pip --version >/dev/null 2>&1; then
  python="$cache/venvs/pip-tool/bin/python"
  [[ -x $python ]] || python3 -m venv "$cache/venvs/pip-tool"
fi

platforms=(--platform "manylinux2014_$arch")
for glibc in 17 28 31 34 36; do platforms+=(--platform "manylinux_2_${glibc}_$arch"); done

rm -rf "$context/.prebuilt/wheels"
mkdir -p "$context/.prebuilt/wheels"
"$python" -m pip download --quiet --disable-pip-version-check --cache-dir "$cache/pip" \
  --dest "$context/.prebuilt/wheels" --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 \
  "${platforms[@]}" -r "$context/requirements.txt"
