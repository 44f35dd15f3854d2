#!/usr/bin/env bash
# Starts (start DIR) or stops (stop DIR) a throwaway PostgreSQL cluster
# for the tests: Debian's server binaries, a new data directory in DIR,
# trust authentication for the user recon, listening on 127.0.0.1 and a
# unix socket in DIR only. initdb refuses to run as root, so under root
# (CI) the cluster belongs to the postgres system user the package
# creates. `start` prints the URL the tests read from RECON_TEST_POSTGRES.
# PGOPTS_TEST adds server settings (-c name=value ...), after the test
# ones: bench/e2e.sh turns fsync back on.
set -euo pipefail
cmd=${1:?start DIR or stop DIR}
dir=${2:?DIR}
port=${PGPORT_TEST:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "'$bin/initdb' -D '$dir/data' -A trust -U recon -E UTF8 --no-locale" >"$dir/initdb.log"
  as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-k '$dir' -c listen_addresses=127.0.0.1 -p $port -c fsync=off -c max_connections=200 ${PGOPTS_TEST:-}\" start" >/dev/null || {
    echo "pg_ctl start failed; the server's log ($dir/server.log):" >&2
    tail -n 30 "$dir/server.log" >&2 || true
    exit 1
  }
  echo "postgres://recon@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
stop)
  as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
