#!/usr/bin/env bash
# bench/nights.sh: a month of nights run into one database, to see whether
# the thirtieth night is as fast as the first.
#
#   bench/nights.sh                       # 30 nights of 200k orders each
#   N=2000 NIGHTS=3 bench/nights.sh       # a quick check
#   make bench-nights N=200000 NIGHTS=30
#
# Night k is a world of its own (`recon sandbox generate`, seed SEED+k-1,
# one business day from START+k-1, transaction ids from
# 10000001+(k-1)*3N/2 so that no two worlds share one), its webhook log
# and ledger export in an inbox of their own, served by `recon sandbox
# serve` while `recon run --date` runs the night into the same SQLite
# database as every night before it, as a deployment does: the pull is
# incremental from the stored cursor, the run carries the exceptions
# still open forward, lists those resolved and ages them. Nothing of one
# world resolves a break of another, so every night's open exceptions are
# the answer keys of its world and of every world before it: the script
# checks that, category by category, every night.
#
# It prints one line per night: ingest+match wall and CPU seconds (the
# `ingest webhooks`, `ingest ledger` and `match` phases of the run's log,
# CPU from the log's process CPU time at each phase's end), the match and
# the report alone, the whole run, the database's size after the night
# and what the night added, the write-ahead log's high-water mark (its
# size sampled ten times a second), the night's results and exceptions;
# then night NIGHTS against night 1.
#
# Environment (defaults in brackets): N [200000] orders a night, NIGHTS
# [30], SEED [1], START [2026-11-01], ANOMALY_RATE [0.02], TIMEZONE
# [Asia/Jakarta], PAGE_SIZE [100], CONCURRENCY [4], BENCH_DIR
# [/tmp/reconkit-bench], RECON [bin/recon, built with `make build` if
# missing], KEEP [0: remove the database when done; 1 keeps it], CHECK [1:
# exit 1 when a night's counts differ from the answer keys; 0 reports
# only]. The generated inboxes are kept and reused.
#
# Needs bash, /usr/bin/time, curl and jq. See bench/README.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

N=${N:-200000}
NIGHTS=${NIGHTS:-30}
SEED=${SEED:-1}
START=${START:-2026-11-01}
ANOMALY_RATE=${ANOMALY_RATE:-0.02}
TIMEZONE=${TIMEZONE:-Asia/Jakarta}
PAGE_SIZE=${PAGE_SIZE:-100}
CONCURRENCY=${CONCURRENCY:-4}
BENCH_DIR=${BENCH_DIR:-/tmp/reconkit-bench}
RECON=${RECON:-$root/bin/recon}
KEEP=${KEEP:-0}
CHECK=${CHECK:-1}

die() { echo "nights: $*" >&2; exit 1; }

case "$BENCH_DIR" in
"$root" | "$root"/*) die "BENCH_DIR $BENCH_DIR is inside the repository; use a directory outside it" ;;
esac
for tool in /usr/bin/time curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian: apt-get install time curl jq)"
done
# Each world's ids start 3N/2 after the last's (a world has about 1.2
# transactions an order), and the generator keeps them eight digits.
stride=$((N * 3 / 2))
if (((NIGHTS - 1) * stride + N > 10000000)); then
  die "N=$N NIGHTS=$NIGHTS: the worlds' transaction ids would pass eight digits; fewer nights or orders"
fi
if [ ! -x "$RECON" ]; then
  [ "$RECON" = "$root/bin/recon" ] || die "RECON=$RECON is not an executable"
  echo "== $RECON missing: make build"
  make -C "$root" build >/dev/null
fi

work=$BENCH_DIR/nights-n$N-s$SEED-$START-a$ANOMALY_RATE-${TIMEZONE//\//_}
run=$work/run
db=$run/recon.db
rm -rf "$run"
mkdir -p "$run"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $("$RECON" version); $NIGHTS nights of $N orders into $db"

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
server_pid=
sampler_pid=
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$KEEP" != 1 ]; then rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wal_sampler PID FILE OUT writes the largest size FILE had while PID ran.
wal_sampler() {
  local pid=$1 f=$2 out=$3 hwm=0 s tick
  exec {tick}<> <(:)
  while kill -0 "$pid" 2>/dev/null; do
    s=$(stat -c %s "$f" 2>/dev/null || echo 0)
    if ((s > hwm)); then hwm=$s; fi
    read -r -t 0.1 -u "$tick" _ || true
  done
  echo "$hwm" >"$out"
}

# One TSV line per phase of a run's log: phase, wall s, CPU s.
phases() {
  jq -r 'select(.msg == "phase done") | [.phase, .seconds, .process_cpu_seconds] | @tsv' "$1" |
    awk -F'\t' -v OFS='\t' '{ print $1, $2, $3 - prev; prev = $3 }'
}

printf '%-5s %-10s %8s %8s %7s %7s %7s %8s %8s %8s %8s %9s  %s\n' night date "i+m s" "i+m CPU" "match" report run "DB MiB" "+MiB" "WAL MiB" results exceptions counts
: >"$work/nights.tsv"
expected_all=$work/expected-so-far.txt
: >"$expected_all"
prev_size=0
bad=0
for k in $(seq 1 "$NIGHTS"); do
  start_k=$(date -u -d "$START + $((k - 1)) days" +%F)
  # The day after the world's calendar (16 days past its business day):
  # every settlement window has closed, as in bench/e2e.sh.
  date_k=$(date -u -d "$start_k + 17 days" +%F)
  flags=(--seed $((SEED + k - 1)) --orders "$N" --start "$start_k" --days 1 --timezone "$TIMEZONE"
    --anomaly-rate "$ANOMALY_RATE" --first-txn-id $((10000001 + (k - 1) * stride)))
  inbox=$work/inbox/night-$k
  if [ ! -f "$inbox/.complete" ]; then
    rm -rf "$inbox"
    "$RECON" sandbox generate "${flags[@]}" --out "$inbox" --log-format json --quiet
    touch "$inbox/.complete"
  fi
  serve_sandbox "$run/sandbox.log" "${flags[@]}"
  write_config "$run/recon.yaml" "$db" "$run/reports" "$inbox"
  log=$run/log-$k.jsonl
  rc=0
  /usr/bin/time -f '%e %U %S %M' -o "$run/time-$k.txt" "$RECON" run --config "$run/recon.yaml" --date "$date_k" \
    --oxpay-confirm unconfirmed --log-format json >"$run/summary-$k.txt" 2>"$log" &
  time_pid=$!
  wal_sampler "$time_pid" "$db-wal" "$run/wal-$k.txt" &
  sampler_pid=$!
  wait "$time_pid" || rc=$?
  wait "$sampler_pid" || true
  sampler_pid=
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  if [ "$rc" != 0 ]; then
    tail -20 "$log" >&2
    die "night $k: recon run exited $rc"
  fi
  phases "$log" >"$run/phases-$k.tsv"
  read -r run_wall _ _ _ <"$run/time-$k.txt"
  size=$(($(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0)))
  wal=$(cat "$run/wal-$k.txt")
  # The night's open exceptions against the answer keys of every world
  # so far.
  tail -n +2 "$inbox/expected.csv" | cut -d, -f1 >>"$expected_all"
  jq -r '.[].category' "$run/reports/exceptions-$date_k.json" | sort | uniq -c | awk '{print $2, $1}' >"$run/got-$k.txt"
  sort "$expected_all" | uniq -c | awk '{print $2, $1}' >"$run/want-$k.txt"
  counts=ok
  if ! cmp -s "$run/got-$k.txt" "$run/want-$k.txt"; then
    counts="DIFFER: $(diff "$run/want-$k.txt" "$run/got-$k.txt" | grep '^[<>]' | tr '\n' ' ')"
    bad=1
  fi
  results=$(jq -r 'select(.msg == "phase done" and .phase == "match") | .results' "$log")
  exceptions=$(jq -r 'select(.msg == "phase done" and .phase == "match") | .exceptions' "$log")
  awk -F'\t' -v OFS='\t' -v k="$k" -v d="$date_k" -v runw="$run_wall" -v size="$size" -v prev="$prev_size" -v wal="$wal" \
    -v res="$results" -v exc="$exceptions" -v counts="$counts" '
    $1 ~ /^ingest/ || $1 == "match" { im += $2; imc += $3 }
    $1 == "match" { m = $2 }
    $1 == "report" { r = $2 }
    END {
      print k, d, im, imc, m, r, runw, size / 1048576, (size - prev) / 1048576, wal / 1048576, res, exc, counts >> "'"$work/nights.tsv"'"
      printf "%-5s %-10s %8.2f %8.2f %7.2f %7.2f %7.1f %8.0f %8.0f %8.0f %8s %9s  %s\n", k, d, im, imc, m, r, runw,
        size / 1048576, (size - prev) / 1048576, wal / 1048576, res, exc, counts
    }' "$run/phases-$k.tsv"
  prev_size=$size
done

echo
awk -F'\t' -v n="$NIGHTS" '
  NR == 1 { w1 = $3; c1 = $4; g1 = $9 }
  NR == n { wn = $3; cn = $4; gn = $9 }
  { if ($10 > hwm) hwm = $10 }
  END {
    printf "night %d / night 1, ingest+match: wall %.2f (%.2f/%.2f s), CPU %.2f (%.2f/%.2f s)  (target <= 1.15)\n", n, wn / w1, wn, w1, cn / c1, cn, c1
    printf "database growth: %.0f MiB on night 1, %.0f MiB on night %d; the log'\''s high-water mark: %.0f MiB\n", g1, gn, n, hwm
  }' "$work/nights.tsv"
echo "load now: $(cut -d' ' -f1-3 /proc/loadavg); per-night figures in $work/nights.tsv"
if [ "$bad" != 0 ] && [ "$CHECK" != 0 ]; then
  die "a night's exceptions differ from the answer keys (CHECK=0 to report only)"
fi
