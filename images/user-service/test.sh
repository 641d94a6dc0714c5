#!/usr/bin/env bash
# user-service's tests: `mvn test` runs the real app over real HTTP on a real PostgreSQL 15 and a
# real redis-server, both started by the tests on free loopback ports in a temporary folder, and a
# fake order-service on loopback. Warm runs are offline from $CLOUDMART_LAB_CACHE/maven.
set -euo pipefail
cd "$(dirname "$0")"
repo="${CLOUDMART_LAB_CACHE:-/var/cache/cloudmart-lab}/maven"
export PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

missing=()
[[ -x $PG_BIN/initdb ]] || missing+=(postgresql-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v mvn >/dev/null || missing+=(maven)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "test.sh: missing ${missing[*]} (Debian packages); install them or run as root" >&2
    exit 1
  fi
fi

# The servers are the test JVM's children with a parent-death signal; their pids and data also
# land in $work, so that even a killed Maven leaves nothing running and nothing behind.
work=$(mktemp -d "${TMPDIR:-/tmp}/user-service-test.XXXXXX")
chmod 0755 "$work" # the postgres user (when run as root) must reach its data dir inside
log=$work/mvn.log
export USER_SERVICE_TEST_DIR=$work
export USER_SERVICE_TEST_PIDS=$work/pids
touch "$USER_SERVICE_TEST_PIDS"
cleanup() {
  while read -r pid; do
    # Only if that pid is still one of ours (not reused by something else since).
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qE '(^|/)(postgres|redis-server) '; then
      kill -INT "$pid" 2>/dev/null || true
    fi
  done <"$USER_SERVICE_TEST_PIDS"
  rm -rf "$work"
}
trap cleanup EXIT

mvn_test() {
  mvn -B -Dmaven.repo.local="$repo" -Dstyle.color=never "$@" test
}
if ! mvn_test -o 2>&1 | tee "$log"; then
  # Only a cold cache earns a second, online run; a failing test fails here.
  grep -q "offline mode" "$log" || exit 1
  echo "test.sh: the Maven repository lacks something, retrying online" >&2
  mvn_test
fi
