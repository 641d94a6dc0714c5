#!/usr/bin/env bash
# product-service's tests: the real app over real HTTP, on a real FerretDB 1.24 (SQLite handler) and a
# real redis-server, each started on a free loopback port in a temporary folder by the tests.
# Warm runs are offline: the virtualenv and the FerretDB binary are kept in $CLOUDMART_LAB_CACHE.
set -euo pipefail
cd "$(dirname "$0")"
CACHE="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}"
FERRETDB_VERSION=v1.24.2

python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)
redis_server=$(command -v redis-server || true)
if [[ -z $redis_server ]]; then
  echo "test.sh: redis-server is missing (Debian package redis-server)" >&2
  exit 1
fi

# A virtualenv per set of pinned requirements, so a change to them makes a new one.
stamp=$(cat requirements.txt tests/requirements.txt | sha256sum | cut -c1-12)
venv="$CACHE/venvs/product-service-$stamp"
if [[ ! -x $venv/bin/pytest ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --cache-dir "$CACHE/pip" \
    -r requirements.txt -r tests/requirements.txt
fi

# FerretDB from the Go module proxy. `go install ...@version` builds a binary that panics at start:
# the module as published lacks build/version/version.txt, which FerretDB's release build generates.
ferretdb="${FERRETDB_BIN:-$CACHE/go-bin/ferretdb-$FERRETDB_VERSION}"
if [[ ! -x $ferretdb ]]; then
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$src/." "$work/src"
  chmod -R u+w "$work/src"
  echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"
  mkdir -p "$(dirname "$ferretdb")"
  (cd "$work/src" && go build -ldflags="-s -w" -o "$ferretdb.tmp" ./cmd/ferretdb)
  mv "$ferretdb.tmp" "$ferretdb"
  rm -rf "$work"
  trap - EXIT
fi

# pytest in a session of its own: whatever it started is killed with it, even when it is interrupted.
export FERRETDB_BIN="$ferretdb" REDIS_SERVER="$redis_server" PYTHONDONTWRITEBYTECODE=1
setsid "$venv/bin/python" -m pytest -p no:cacheprovider -q tests &
pytest_pid=$!
trap 'kill -TERM -- "-$pytest_pid" 2>/dev/null || true' EXIT INT TERM
wait "$pytest_pid"
