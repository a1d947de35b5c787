#!/usr/bin/env bash
# Drops the per-test-file databases (uns_meta_t_*) that an interrupted vitest run left behind.
set -euo pipefail
psql -qAtX -U uns_meta_admin -d postgres -c "select datname from pg_database where datname like 'uns_meta\_t\_%'" |
  while read -r db; do psql -qX -U uns_meta_admin -d postgres -c "drop database if exists \"$db\" with (force)"; echo "dropped $db"; done
