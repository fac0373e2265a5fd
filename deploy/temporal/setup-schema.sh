#!/bin/sh
# Temporal's schema on PostgreSQL, created once and brought up to this server version on every
# start (the admin-tools image carries the versioned schema). Safe to run again.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
on() {  # temporal-sql-tool on database $1
  db=$1; shift
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" \
    -p "${DB_PORT:-5432}" --db "$db" "$@"
}
for kind in temporal visibility; do
  db=$([ "$kind" = temporal ] && echo temporal || echo temporal_visibility)
  on "$db" create 2>/dev/null || echo "database $db exists"
  on "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db exists"
  on "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$kind/versioned"
done
