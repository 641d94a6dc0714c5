#!/usr/bin/env bash
# payment-service's tests: real HTTP in, against a real RabbitMQ (Debian's rabbitmq-server, started by
# the tests on free loopback ports in a temporary folder and stopped afterwards; or AMQP_TEST_URL).
set -euo pipefail
cd "$(dirname "$0")"
export npm_config_cache="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/npm"
npm ci --no-audit --no-fund --prefer-offline --loglevel=warn
node --test --test-concurrency=1 test/*.test.js
