#!/usr/bin/env bash
# The database half of `make test`, on a scratch database (never the developer's):
#   deploy --verify on an empty database, pg_prove, sqitch revert to the start, deploy again,
#   sqitch verify, sqitch check; then the result becomes the template every vitest file clones, and the scratch
#   database is dropped (only the template stays, for vitest and the next run).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${UNS_META_TEST_SCRATCH:-uns_meta_test_scratch}
template=${UNS_META_TEST_TEMPLATE:-uns_meta_test_template}
target="db:pg://uns_meta_admin@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$scratch"
step() { printf '\n== %s\n' "$*"; }
admin_psql() { PGOPTIONS='-c client_min_messages=warning' psql -qAtX -v ON_ERROR_STOP=1 -U uns_meta_admin -d postgres "$@"; }
# pgTAP is an untrusted extension: the superuser installs it (peer authentication on the local socket; on a private
# cluster of scripts/test-matrix.ts, its own socket directory and port: UNS_META_SUPERUSER_HOST, _PORT).
# From /: the postgres user may not be allowed into the checkout (psql would complain it cannot chdir there).
superuser_at=()
[ -n "${UNS_META_SUPERUSER_HOST:-}" ] && superuser_at=(PGHOST="$UNS_META_SUPERUSER_HOST" PGPORT="${UNS_META_SUPERUSER_PORT:?}")
as_postgres() { (cd / && runuser -u postgres -- env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSFILE "${superuser_at[@]}" "$@"); }

step "fresh scratch database $scratch"
admin_psql -c "drop database if exists $scratch with (force)" -c "create database $scratch encoding 'UTF8' locale 'C.UTF-8' template template0"
# Error messages in English whatever the server locale: the pgTAP tests compare them.
as_postgres psql -qX -d postgres -c "alter database $scratch set lc_messages = 'C'"

step "deploy --verify on the empty database"
scripts/deploy-db.sh "$scratch"

step "pgTAP (pg_prove, sql-tests/)"
as_postgres psql -qX -v ON_ERROR_STOP=1 -d "$scratch" -c 'create extension if not exists pgtap'
PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" pg_prove -U uns_meta_admin -d "$scratch" --ext .sql -r sql-tests/

step "sqitch revert to the start"
sqitch --quiet revert -y "$target"
left=$(psql -qAtX -U uns_meta_admin -d "$scratch" -c "select count(*) from pg_namespace where nspname = 'uns_meta'")
[ "$left" = 0 ] || { echo "revert left schema uns_meta behind" >&2; exit 1; }
echo "reverted: schema uns_meta is gone"

step "deploy again, verify, check"
sqitch --quiet deploy --verify "$target"
sqitch verify "$target"
sqitch check "$target"

step "template $template for vitest"
admin_psql -c "drop database if exists $template with (force)" \
           -c "create database $template template $scratch" \
           -c "drop database $scratch with (force)"
echo "template ready; scratch database $scratch dropped"
