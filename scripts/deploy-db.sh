#!/usr/bin/env bash
# Deploy the whole database into $1 (created when missing, owned by uns_meta_admin):
# the graphile-worker schema first (our enqueue wrapper calls it), then every Sqitch change, verified.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: deploy-db.sh <database>}
admin_url="postgres://uns_meta_admin@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$db"
# node-postgres (graphile-worker) reads no PGSSLROOTCERT: libpq's TLS settings go into its URL
if [ -n "${PGSSLMODE:-}" ]; then admin_url+="?sslmode=$PGSSLMODE${PGSSLROOTCERT:+&sslrootcert=$PGSSLROOTCERT}"; fi

if ! psql -qAtX -U uns_meta_admin -d postgres -c "select 1 from pg_database where datname = '$db'" | grep -q 1; then
  createdb -U uns_meta_admin --encoding=UTF8 --locale=C.UTF-8 --template=template0 "$db"
fi
NODE_OPTIONS=--no-deprecation graphile-worker --schema-only -c "$admin_url" >/dev/null
sqitch --quiet deploy --verify "db:pg://uns_meta_admin@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$db"
echo "deploy-db: $db deployed ($(grep -cE "^[a-z@]" sqitch.plan) Sqitch changes and the graphile-worker schema)"
