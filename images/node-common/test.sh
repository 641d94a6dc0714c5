#!/usr/bin/env bash
# Tests of the shared module on the build machine's Node (the services' own tests use it too).
set -euo pipefail
cd "$(dirname "$0")"
export npm_config_cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/npm"
npm ci --no-audit --no-fund --prefer-offline --loglevel=warn
node --test test/
