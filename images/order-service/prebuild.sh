#!/usr/bin/env bash
# prebuild.sh <context-dir>: compiles order-service with the build machine's Go (Debian has no
# Go 1.26) into <context-dir>/.prebuilt/order-service, static, for the Dockerfile to copy.
set -euo pipefail
context=$(cd "${1:?usage: prebuild.sh <context-dir>}" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=goenv.sh
. "$here/goenv.sh"
mkdir -p "$context/.prebuilt"
cd "$here"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' -o "$context/.prebuilt/order-service" .
echo "prebuild: $(go version | cut -d' ' -f3) built $context/.prebuilt/order-service ($(du -h "$context/.prebuilt/order-service" | cut -f1))"
