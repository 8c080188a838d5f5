#!/bin/sh
# Temporal's schema set-up as Temporal recommends it instead of the auto-setup image: a one-off job in the
# temporalio/admin-tools image of the server's release creates the two PostgreSQL databases and applies each
# versioned schema step with temporal-sql-tool (https://docs.temporal.io/self-hosted-guide/deployment; Temporal's
# own compose files in temporalio/samples-server do the same). Idempotent: `create` and `setup-schema -v 0.0` fail
# harmlessly where they were done before, and update-schema applies only the missing steps, so the same job
# upgrades the schema when the server image moves to a newer release (it runs before the new server starts).
set -eu
: "${POSTGRES_SEEDS:?the PostgreSQL host}" "${POSTGRES_USER:?the PostgreSQL user}" "${SQL_PASSWORD:?the PostgreSQL password}"

tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"; }

for store in temporal visibility; do
  db=temporal
  [ "$store" = visibility ] && db=temporal_visibility
  tool --db "$db" create 2>/dev/null || echo "$db: exists"
  tool --db "$db" setup-schema -v 0.0 2>/dev/null || echo "$db: schema set up before"
  # The only step whose failure matters: it brings the schema to the image's version.
  tool --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$store/versioned"
done
echo 'Temporal schema up to date'
