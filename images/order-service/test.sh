#!/usr/bin/env bash
# test.sh: gofmt, go vet and the service's tests against a real PostgreSQL 15 and a real Redis,
# both started here on loopback in a temporary folder and stopped on exit. product-service and
# payment-service are fakes (httptest) inside the tests.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
# shellcheck source=goenv.sh
. ./goenv.sh

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
need_pkgs=()
[ -x "$pg_bin/initdb" ] || need_pkgs+=(postgresql-15)
command -v redis-server >/dev/null || need_pkgs+=(redis-server)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "test.sh: needs ${need_pkgs[*]} (apt-get install them)" >&2; exit 1; }
  echo "test.sh: installing ${need_pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

echo "== gofmt"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || { echo "gofmt: not formatted: $unformatted" >&2; exit 1; }
echo "== go vet"
go vet ./...

tmp=$(mktemp -d /tmp/order-service-test.XXXXXX)
redis_pid=
# initdb refuses to run as root: the database then belongs to nobody.
as_db_user=()
if [ "$(id -u)" = 0 ]; then
  chown nobody:nogroup "$tmp"
  as_db_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
cleanup() {
  [ -f "$tmp/pg/postmaster.pid" ] && "${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg" -m immediate -w stop >/dev/null 2>&1 || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)

echo "== PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port"
"${as_db_user[@]}" "$pg_bin/initdb" -D "$tmp/pg" -U postgres -A trust --no-sync -E UTF8 >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
"${as_db_user[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -t 30 \
  -o "-p $pg_port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$tmp/pg.log" >&2; exit 1; }
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --logfile "$tmp/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$redis_port" ping >/dev/null || { cat "$tmp/redis.log" >&2; exit 1; }

echo "== go test"
ORDER_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable" \
ORDER_TEST_REDIS_ADDR="127.0.0.1:$redis_port" \
  go test -count=1 "$@" ./...
