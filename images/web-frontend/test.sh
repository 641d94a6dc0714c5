#!/usr/bin/env bash
# web-frontend's tests: Vitest for the React components and the cart, then the SPA built as the image
# has it and the server tested over real HTTP against fake services on loopback.
set -euo pipefail
cd "$(dirname "$0")"
export npm_config_cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/npm"
npm ci --no-audit --no-fund --prefer-offline --loglevel=warn
npx vitest run
npx vite build --outDir dist --emptyOutDir --logLevel warn
node --test test/
