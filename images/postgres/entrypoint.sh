#!/bin/bash
# Start PostgreSQL on PGDATA, making it first when the folder is empty:
#  - a primary: initdb, the application role and database from POSTGRES_USER/_PASSWORD/_DB, and
#    a replication role from POSTGRES_REPLICATION_PASSWORD when set;
#  - a replica (POSTGRES_PRIMARY_HOST set): pg_basebackup from the primary, standby settings written.
set -o errexit -o nounset -o pipefail

log() { printf '{"ts":"%s","level":"info","service":"postgres-entrypoint","msg":"%s"}\n' "$(date -u +%FT%TZ)" "$*"; }

: "${POSTGRES_USER:?set POSTGRES_USER}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" "${POSTGRES_DB:?set POSTGRES_DB}"

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  mkdir -p "$PGDATA" && chmod 0700 "$PGDATA"
  if [[ -n "${POSTGRES_PRIMARY_HOST:-}" ]]; then
    log "cloning the primary ${POSTGRES_PRIMARY_HOST}"
    until PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" pg_basebackup --host="$POSTGRES_PRIMARY_HOST" \
        --username=replicator --pgdata="$PGDATA" --wal-method=stream --write-recovery-conf --checkpoint=fast; do
      log "primary not reachable yet; retrying in 3s"
      rm -rf "${PGDATA:?}"/* && sleep 3
    done
  else
    log "initialising a new database cluster"
    initdb --username=postgres --auth-local=peer --auth-host=scram-sha-256 --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "listen_addresses = '*'"
      echo "password_encryption = 'scram-sha-256'"
      echo "wal_level = replica"
      echo "max_wal_senders = 5"
      echo "hot_standby = on"
    } >> "$PGDATA/postgresql.conf"
    {
      echo "host all all all scram-sha-256"
      echo "host replication replicator all scram-sha-256"
    } >> "$PGDATA/pg_hba.conf"
    pg_ctl --wait --silent --options="-c listen_addresses=''" start
    psql --quiet --username=postgres --dbname=postgres --set=ON_ERROR_STOP=1 \
      --set=user="$POSTGRES_USER" --set=password="$POSTGRES_PASSWORD" --set=db="$POSTGRES_DB" \
      --set=replication_password="${POSTGRES_REPLICATION_PASSWORD:-}" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SELECT format('CREATE ROLE replicator REPLICATION LOGIN PASSWORD %L', :'replication_password')
 WHERE :'replication_password' <> '' \gexec
SQL
    pg_ctl --wait --silent stop
  fi
fi
log "starting postgres"
exec postgres
