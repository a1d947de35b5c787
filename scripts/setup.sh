#!/usr/bin/env bash
# Idempotent set-up of a development / CI machine (Debian 12, run as root):
#   1. Debian packages (PostgreSQL 15, pgTAP, plpgsql_check, pg_prove, Sqitch, Mosquitto, systemd-analyze, promtool) when missing;
#   2. Node 24 from the npm registry into .tools/ when the machine's Node is older than 22;
#   3. npm ci when node_modules does not match package-lock.json;
#   4. PostgreSQL 15/main running with wal_level=logical (the publication is for logical replication);
#   5. the cluster roles and the database (scripts/bootstrap.sql), passwords in $PGPASSFILE.
# Every step checks before it acts, so running it twice is harmless and fast.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { printf 'setup: %s\n' "$*"; }

# --- 1. Debian packages ------------------------------------------------------------------------
# postgresql-15-plpgsql-check: `make coverage-sql` (its profiler, on a private cluster) and plpgsql_check_function;
# systemd: for systemd-analyze (the units' tests); prometheus (for its promtool, the alert rules' tests) below.
packages=(postgresql postgresql-15-pgtap postgresql-15-plpgsql-check libtap-parser-sourcehandler-pgtap-perl sqitch mosquitto mosquitto-clients systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [ "$(id -u)" = 0 ] || { echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2; exit 1; }
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# prometheus without its recommendations: they would bring prometheus-node-exporter, another daemon nobody needs here.
if ! dpkg-query -W -f='${Status}' prometheus 2>/dev/null | grep -q 'install ok installed'; then
  [ "$(id -u)" = 0 ] || { echo "setup: missing Debian package prometheus (for promtool); run as root or install it" >&2; exit 1; }
  log "installing prometheus (for promtool)"
  ((${#missing[@]})) || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# Only the promtool binary of the prometheus package is used: no Prometheus server may keep running (on a machine
# booted with systemd the package enables and starts one; without systemd, its init script may have started it).
if [ -d /run/systemd/system ]; then
  if systemctl is-enabled --quiet prometheus.service 2>/dev/null; then
    log "disabling the prometheus service (only promtool is needed)"
    systemctl disable --now --quiet prometheus.service
  fi
elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then
  log "stopping the prometheus service (only promtool is needed)"
  /etc/init.d/prometheus stop >/dev/null
  update-rc.d prometheus disable >/dev/null 2>&1 || true
fi

# --- 2. Node 24 --------------------------------------------------------------------------------
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# The machine's Node is the one a service or a DBA's shell finds on the system's PATH (a systemd unit, the steps of
# docs/deployment.md), not one the caller's own PATH puts first (nvm, another checkout's .tools/): bin/uns-meta must
# find a Node 22.18+ without it.
machine_node=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v node || echo /nonexistent)
if [ ! -x .tools/node_modules/.bin/node ] && [ "$(node_major "$machine_node")" -lt 22 ]; then
  log "machine Node is older than 22: installing node@24 from the npm registry into .tools/"
  mkdir -p .tools
  npm install --silent --no-save --no-fund --no-audit --prefix .tools node@24 >/dev/null 2>&1
fi
[ -x .tools/node_modules/.bin/node ] && export PATH="$root/.tools/node_modules/.bin:$PATH"
[ "$(node_major node)" -ge 22 ] || { echo "setup: Node >= 22 is required, found $(node --version)" >&2; exit 1; }

# --- 3. npm dependencies -----------------------------------------------------------------------
# The stamp is the lock file that the last successful `npm ci` installed.
if ! cmp -s package-lock.json node_modules/.uns-meta-installed-lock 2>/dev/null; then
  log "npm ci"
  npm ci --silent --no-fund --no-audit >/dev/null 2>&1 || npm ci --no-fund --no-audit
  cp package-lock.json node_modules/.uns-meta-installed-lock
fi

# --- 4. PostgreSQL -----------------------------------------------------------------------------
# The superuser's peer-authenticated socket connection: the PG* variables aimed at TCP do not apply to it.
# From /: the postgres user may not be allowed into the checkout (psql would complain it cannot chdir there).
as_postgres() { (cd / && runuser -u postgres -- env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSFILE "$@"); }
cluster_status() { pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}'; }
if [ -z "$(cluster_status)" ]; then
  log "creating cluster 15/main"
  pg_createcluster 15 main >/dev/null
fi
if [ "$(cluster_status)" != online ]; then
  log "starting PostgreSQL 15/main"
  pg_ctlcluster 15 main start
fi
if [ "$(as_postgres psql -qAtX -c 'show wal_level')" != logical ]; then
  log "setting wal_level=logical (needed by the uns_meta_pub publication) and restarting PostgreSQL"
  as_postgres psql -qX -c 'alter system set wal_level = logical' >/dev/null
  pg_ctlcluster 15 main restart
fi
for _ in $(seq 1 30); do as_postgres pg_isready -q && break; sleep 1; done

# --- 5. roles, passwords and the database ------------------------------------------------------
# One password per login role, generated once, kept in $PGPASSFILE (mode 600; the Makefile's default is
# ~/.config/uns-meta/pgpass: roles are per machine, so is their password file) which libpq, node-postgres,
# sqitch and pg_prove all read through PGPASSFILE. They are never printed.
pgpass="${PGPASSFILE:-$HOME/.config/uns-meta/pgpass}"
mkdir -p "$(dirname "$pgpass")"
touch "$pgpass" && chmod 600 "$pgpass"
roles=(uns_meta_admin uns_meta_app uns_meta_ro uns_meta_cdc)
{
  for r in "${roles[@]}"; do
    pw=$(awk -F: -v r="$r" '$4==r {print $5; exit}' "$pgpass")
    if [ -z "$pw" ]; then
      pw=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
      for h in 127.0.0.1 localhost; do printf '%s:*:*:%s:%s\n' "$h" "$r" "$pw" >>"$pgpass"; done
    fi
    printf '\\set pw_%s %s\n' "$r" "$pw"
  done
  printf '\\set db %s\n' "${UNS_META_DB:-uns_meta}"
  cat scripts/bootstrap.sql
} | as_postgres env PGOPTIONS="-c client_min_messages=warning" psql -qX -v ON_ERROR_STOP=1 >/dev/null
log "PostgreSQL ready; roles ${roles[*]} and database ${UNS_META_DB:-uns_meta} exist"
