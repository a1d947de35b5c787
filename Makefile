# uns-meta: every target installs what it needs first (idempotent), so `make test` and `make demo`
# work on a fresh Debian 12 machine. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Project-local Node 24 (installed by scripts/setup.sh when the machine's Node is older than 22) comes first.
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(CURDIR)/node_modules/.bin:$(PATH)
# Connection defaults for every tool (psql, sqitch, pg_prove, the TypeScript processes).
# Passwords live in a libpq password file written by setup, one per machine like the roles it holds
# (two checkouts share it); nothing prints them.
export PGHOST ?= 127.0.0.1
export PGPORT ?= 5432
export PGPASSFILE ?= $(HOME)/.config/uns-meta/pgpass
export UNS_META_DB ?= uns_meta
# The processes (ingest, worker, demo) connect as the least-privileged service role.
export DATABASE_URL ?= postgres://uns_meta_app@$(PGHOST):$(PGPORT)/$(UNS_META_DB)
# `make demo` runs on its own database, never the catalog's: $(UNS_META_DB)_demo (or $(UNS_META_DB) itself when its name
# already ends in _demo), deployed like `make db`, with debounce_interval '2 seconds' so the Canary sync runs at once.
UNS_META_DEMO_DB ?= $(if $(filter %_demo,$(UNS_META_DB)),$(UNS_META_DB),$(UNS_META_DB)_demo)
export SQITCH_FULLNAME ?= uns-meta setup
export SQITCH_EMAIL ?= uns-meta@localhost

.PHONY: help setup db test test-sql test-ts test-matrix lint typecheck demo clean-test-dbs mutation coverage-sql

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## install packages and Node 24 when missing, npm ci, start PostgreSQL, create roles and the database
	@scripts/setup.sh

db: setup ## install the graphile-worker schema and `sqitch deploy --verify` into $(UNS_META_DB)
	@scripts/deploy-db.sh "$(UNS_META_DB)"

lint: setup ## typescript-eslint over src/, test/, bench/
	@eslint .

typecheck: setup ## tsc --noEmit (strict)
	@tsc --noEmit -p tsconfig.json

test-sql: setup ## Sqitch round trip (deploy, pg_prove, revert, redeploy, verify, check) on a scratch database
	@scripts/test-sql.sh

test-ts: setup ## vitest; every test file gets its own database cloned from the template test-sql leaves
	@vitest run

test: setup ## everything CI runs: typecheck, lint, the SQL round trip with pgTAP, vitest with coverage (lines and branches >= 85 %)
	@tsc --noEmit -p tsconfig.json
	@eslint .
	@scripts/test-sql.sh
	@vitest run --coverage

test-matrix: setup ## the SQL round trip with pgTAP and the ingest, worker and fault tests on PostgreSQL 15, 16, 17, 18 (private clusters)
	@node scripts/test-matrix.ts

coverage-sql: setup ## which statements of the uns_meta plpgsql functions pgTAP runs (plpgsql_check's profiler, private cluster); docs/testing.md
	@node scripts/coverage-sql.ts

# The folders `make mutation` mutates, one Stryker run each (MUTATION_SCOPES=sparkplug for one).
MUTATION_SCOPES ?= sparkplug worker ingest

mutation: setup ## StrykerJS on src/sparkplug, src/worker, src/ingest (incremental, slow, not in `make test`); docs/testing.md
	@scripts/test-sql.sh
	@for scope in $(MUTATION_SCOPES); do echo "== mutation testing src/$$scope"; MUTATION_SCOPE=$$scope stryker run || exit 1; done

demo: setup ## deploy the demo database (UNS_META_DEMO_DB) afresh, run the whole pipeline on the embedded default
	@PGOPTIONS="-c client_min_messages=warning" dropdb -U uns_meta_admin --if-exists --force "$(UNS_META_DEMO_DB)"
	@scripts/deploy-db.sh "$(UNS_META_DEMO_DB)"
	@psql -qX -v ON_ERROR_STOP=1 -U uns_meta_admin -d "$(UNS_META_DEMO_DB)" \
	  -c "update uns_meta.settings set value = '\"2 seconds\"' where key = 'debounce_interval' and value <> '\"2 seconds\"'"
	@DATABASE_URL=postgres://uns_meta_app@$(PGHOST):$(PGPORT)/$(UNS_META_DEMO_DB) node src/cli.ts demo

clean-test-dbs: setup ## drop databases left behind by interrupted test runs
	@scripts/clean-test-dbs.sh
