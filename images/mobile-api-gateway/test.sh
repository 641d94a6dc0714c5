#!/usr/bin/env bash
# mobile-api-gateway's tests: real HTTP through the gateway to fake upstreams on loopback.
set -euo pipefail
cd "$(dirname "$0")"
export npm_config_cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/npm"
npm ci --no-audit --no-fund --prefer-offline --loglevel=warn
node --test test/
