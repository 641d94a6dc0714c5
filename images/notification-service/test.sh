#!/usr/bin/env bash
# notification-service's tests: the real worker (`python -m notification`) against a real RabbitMQ
# (Debian's rabbitmq-server, started by the tests on free loopback ports in a temporary folder),
# fed raw JSON messages the way payment-service publishes them. Warm runs are offline: the
# virtualenv is kept in $CLOUDMART_LAB_CACHE.
set -euo pipefail
cd "$(dirname "$0")"
CACHE="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}"

python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)
for tool in /usr/lib/rabbitmq/bin/rabbitmq-server epmd; do
  if ! command -v "$tool" >/dev/null; then
    echo "test.sh: $tool is missing (Debian package rabbitmq-server)" >&2
    exit 1
  fi
done

# A virtualenv per set of pinned requirements, so a change to them makes a new one.
stamp=$(cat requirements.txt tests/requirements.txt | sha256sum | cut -c1-12)
venv="$CACHE/venvs/notification-service-$stamp"
if [[ ! -x $venv/bin/pytest ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --cache-dir "$CACHE/pip" \
    -r requirements.txt -r tests/requirements.txt
fi

# pytest in a session of its own: whatever it started is killed with it, even when it is interrupted.
# (RabbitMQ and epmd run in sessions of their own too; the tests stop them in their teardown.)
export PYTHONDONTWRITEBYTECODE=1
setsid "$venv/bin/python" -m pytest -p no:cacheprovider -q tests &
pytest_pid=$!
trap 'kill -TERM -- "-$pytest_pid" 2>/dev/null || true' EXIT INT TERM
wait "$pytest_pid"
