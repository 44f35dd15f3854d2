#!/usr/bin/env bash
# bench/e2e.sh: one generated night end to end, with an SQL baseline beside it.
#
#   bench/e2e.sh                 # N=100000 orders
#   N=1000000 bench/e2e.sh       # the 1M-order night (a few GB, minutes)
#   make bench-e2e N=2000        # what a quick check (or CI) runs
#   make bench-e2e N=1000000 DB=postgres   # the same night on SQLite, then PostgreSQL
#   LEDGER_STYLE=net bench/e2e.sh          # the ledger books net settlement deposits
#
# 1. generates the night's files with `recon sandbox generate` (cached in
#    the work dir: the same flags give byte-identical files),
# 2. serves the same world with `recon sandbox serve` on a free loopback
#    port, and runs `recon run --oxpay-confirm unconfirmed` against it and
#    the files, from an empty database, under /usr/bin/time -v,
# 3. prints each phase's wall seconds, rows, rows/s and peak RSS from the
#    run's JSON log ("phase done" lines), with CPU seconds and resident set
#    per phase sampled from /proc, and the whole run's figures,
# 4. runs bench/baseline.sql with the sqlite3 command-line tool on the same
#    files (and the orders and transactions recon fetched), under
#    /usr/bin/time -v, and prints the ratios recon/baseline (wall, CPU, RSS),
# 5. prints the break counts of the answer key, recon and the baseline side
#    by side.
#
# With DB=postgres the night runs twice, back to back, from empty
# databases: on SQLite (which the baseline reads), then on PostgreSQL, and
# the script prints PostgreSQL's phases and its figures against SQLite's:
# ingest+match wall and CPU time, the loads' rows/s, the match's peak
# RSS, and the break counts of both. The server is PG_URL's (a database
# reconkit_bench is made afresh on it, and dropped unless KEEP=1), or
# else a throwaway cluster .ci/postgres.sh starts in BENCH_DIR/pg on
# PGPORT_BENCH [a free port: CI's test cluster may hold 55432] and stops
# at the end; that cluster's CPU time is
# sampled from /proc too, as a PostgreSQL night's work is split between
# recon and the server.
#
# With LEDGER_STYLE=net (or mixed) the generated ledger books the
# gateway's net settlement deposits, about one per business day and
# currency, instead of a line per transaction (sandbox generate
# --ledger-style), and recon.yaml gets the settlement.yaml the generator
# writes. The baseline knows only a gross ledger: its figures are still
# printed, but the break counts are checked against the answer key alone.
#
# Environment (defaults in brackets): N [100000] orders, SEED [1],
# START [2026-11-01], DAYS [3], ANOMALY_RATE [0.02], TIMEZONE [Asia/Jakarta],
# DATE [the day after every settlement window has closed], PAGE_SIZE [100],
# CONCURRENCY [4], BENCH_DIR [/tmp/reconkit-bench], RECON [bin/recon, built
# with `make build` if missing], KEEP [0: remove the run's database when
# done; 1 keeps it], CHECK [1: exit 1 when a break count differs from the
# answer key, beyond the baseline's known blind spot; 0 reports only],
# DB [sqlite; postgres runs the night on both], PG_URL [a throwaway
# cluster], PGPORT_BENCH [a free loopback port], LEDGER_STYLE [gross;
# net or mixed].
#
# Needs bash, /usr/bin/time, sqlite3 3.38 or later (.import --skip, JSON
# functions built in), curl, and jq or else python3. See bench/README.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

N=${N:-100000}
SEED=${SEED:-1}
START=${START:-2026-11-01}
DAYS=${DAYS:-3}
ANOMALY_RATE=${ANOMALY_RATE:-0.02}
TIMEZONE=${TIMEZONE:-Asia/Jakarta}
PAGE_SIZE=${PAGE_SIZE:-100}
CONCURRENCY=${CONCURRENCY:-4}
BENCH_DIR=${BENCH_DIR:-/tmp/reconkit-bench}
RECON=${RECON:-$root/bin/recon}
KEEP=${KEEP:-0}
DB=${DB:-sqlite}
LEDGER_STYLE=${LEDGER_STYLE:-gross}
# The business date the run is for. By default the first day after the
# generator's calendar, which runs 16 days past the last business day (late
# refunds, settlement, weekends), so that every settlement window has
# closed: recon then reports no line as pending, and its counts can be held
# against the answer key and the baseline, which has no notion of a window.
DATE=${DATE:-$(date -u -d "$START + $((DAYS + 16)) days" +%F)}

die() { echo "e2e: $*" >&2; exit 1; }

case "$BENCH_DIR" in
"$root" | "$root"/*) die "BENCH_DIR $BENCH_DIR is inside the repository; use a directory outside it" ;;
esac
for tool in /usr/bin/time sqlite3 curl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (Debian: apt-get install time sqlite3 curl)"
done
case "$LEDGER_STYLE" in
gross | net | mixed) ;;
*) die "LEDGER_STYLE=$LEDGER_STYLE: want gross, net or mixed" ;;
esac
case "$DB" in
sqlite) ;;
postgres) command -v psql >/dev/null 2>&1 || die "psql not found (Debian: apt-get install postgresql)" ;;
*) die "DB=$DB: want sqlite or postgres" ;;
esac
if command -v jq >/dev/null 2>&1; then
  json=jq
elif command -v python3 >/dev/null 2>&1; then
  json=python3
else
  die "need jq or python3 to read the run's JSON log"
fi
# sqlite3 --version prints "3.40.1 2022-12-28 ...".
IFS=. read -r sq_major sq_minor _ <<<"$(sqlite3 --version | cut -d' ' -f1)"
if ((sq_major < 3 || (sq_major == 3 && sq_minor < 38))); then
  die "sqlite3 $(sqlite3 --version | cut -d' ' -f1) is older than 3.38"
fi
if [ ! -x "$RECON" ]; then
  [ "$RECON" = "$root/bin/recon" ] || die "RECON=$RECON is not an executable"
  echo "== $RECON missing: make build"
  make -C "$root" build >/dev/null
fi

gen_flags=(--seed "$SEED" --orders "$N" --start "$START" --days "$DAYS"
  --timezone "$TIMEZONE" --anomaly-rate "$ANOMALY_RATE" --ledger-style "$LEDGER_STYLE")
# A gross night keeps the names it always had (and its cached files).
style=
[ "$LEDGER_STYLE" = gross ] || style=-$LEDGER_STYLE
work=$BENCH_DIR/n$N-s$SEED$style
data=$BENCH_DIR/data-n$N-s$SEED-$START-d$DAYS-a$ANOMALY_RATE-${TIMEZONE//\//_}$style
run=$work/run
mkdir -p "$BENCH_DIR" "$work"

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
  "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $("$RECON" version), $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /')"

# 1. The night's files. Generation is not what is measured, and the
# workbook export of a million lines takes a while, so they are kept.
if [ ! -f "$data/.complete" ]; then
  echo "== generate $N orders into $data"
  rm -rf "$data"
  "$RECON" sandbox generate "${gen_flags[@]}" --out "$data" --log-format json --quiet
  touch "$data/.complete"
fi
echo "== files: $(wc -l <"$data/webhooks.jsonl") webhook deliveries ($(du -h "$data/webhooks.jsonl" | cut -f1)), $(($(wc -l <"$data/ledger.csv") - 1)) ledger lines ($(du -h "$data/ledger.csv" | cut -f1)), $(($(wc -l <"$data/expected.csv") - 1)) injected anomalies"

# 2. The sandbox on a free loopback port, stopped on any exit.
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
server_pid=
time_pid=
cleanup() {
  local child
  if [ -n "$time_pid" ] && kill -0 "$time_pid" 2>/dev/null; then
    child=""
    read -r child _ 2>/dev/null <"/proc/$time_pid/task/$time_pid/children" || true
    if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
  fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$KEEP" != 1 ]; then
    rm -rf "$work/run" "$work/run-postgres"
    if [ -n "${pg_database:-}" ] && [ -n "${PG_URL:-}" ]; then
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS reconkit_bench" >/dev/null 2>&1 || true
    fi
  fi
  if [ -n "${pgdir:-}" ]; then
    "$root/.ci/postgres.sh" stop "$pgdir"
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL, for DB=postgres: PG_URL's server, or a throwaway cluster.
# pg_fresh makes the database reconkit_bench afresh and prints its URL.
pgdir=
if [ "$DB" = postgres ] && [ -z "${PG_URL:-}" ]; then
  pgdir=$BENCH_DIR/pg
  "$root/.ci/postgres.sh" stop "$pgdir" 2>/dev/null || true
  rm -rf "$pgdir"
  pgport=${PGPORT_BENCH:-$(free_port)}
  echo "== PostgreSQL: a throwaway cluster in $pgdir on port $pgport"
  # Durable, as a server in production is (the test clusters run without
  # fsync); every other setting is the package's default.
  PG_BASE=$(PGPORT_TEST=$pgport PGOPTS_TEST="-c fsync=on" "$root/.ci/postgres.sh" start "$pgdir")
else
  PG_BASE=${PG_URL:-}
fi
pg_fresh() {
  PGOPTIONS="-c client_min_messages=warning" psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS reconkit_bench" \
    -c "CREATE DATABASE reconkit_bench" >/dev/null ||
    die "cannot make the database reconkit_bench on $PG_BASE"
  # The base URL with reconkit_bench for its database.
  echo "$PG_BASE" | sed -E 's#^(postgres(ql)?://[^/]*)/[^?]*#\1/reconkit_bench#'
}
if [ "$DB" = postgres ]; then
  echo "== $(psql "$PG_BASE" -Atc 'SELECT version()' | cut -d, -f1)"
fi

serve_sandbox "$work/sandbox.log" "${gen_flags[@]}"
echo "== sandbox serve on $base"

# cluster_ticks PID prints the CPU ticks of the postmaster PID and its
# children: utime, stime and, for the backends that ended, cutime and
# cstime.
cluster_ticks() {
  local pm=$1 stat c=0 k kids=""
  local -a f
  if read -r stat 2>/dev/null <"/proc/$pm/stat"; then
    read -ra f <<<"${stat##*) }"
    c=$((f[11] + f[12] + f[13] + f[14]))
  fi
  read -r kids 2>/dev/null <"/proc/$pm/task/$pm/children" || true
  for k in $kids; do
    if read -r stat 2>/dev/null <"/proc/$k/stat"; then
      read -ra f <<<"${stat##*) }"
      c=$((c + f[11] + f[12] + f[13] + f[14]))
    fi
  done
  echo "$c"
}

# While the run goes, its CPU time and resident set are read from /proc
# four times a second and cut at each "phase done" line of the log: CPU
# seconds per phase are steadier than wall clock on a shared machine, and
# the largest resident set seen in a phase is that phase's own, where the
# log's peak_rss_mib is the high-water mark since the process started.
# Writes "PHASE_INDEX CUMULATIVE_CPU_TICKS MAX_RSS_KIB SERVER_TICKS"
# lines: CPU time is that of the last sample before the phase's line, up
# to a quarter second early, so phases shorter than a second or two are
# rough. SERVER_TICKS is the CPU time of the PostgreSQL cluster whose
# postmaster is $4 (its own, its live backends', and its ended backends'
# that it has waited for), 0 without one.
sample() {
  local tpid=$1 log=$2 out=$3 pm=${4:-} rpid="" stat rss=0 maxrss=0 ticks=0 sticks=0 done_n=0 n l k v tick c kids
  local -a f lines
  exec {tick}<> <(:)
  while kill -0 "$tpid" 2>/dev/null; do
    # First the log: a phase logged since the last sample is cut there,
    # so a phase's figures come only from samples taken before it ended.
    mapfile -t lines <"$log"
    n=0
    for l in "${lines[@]}"; do
      if [[ $l == *'"msg":"phase done"'* ]]; then n=$((n + 1)); fi
    done
    while ((done_n < n)); do
      echo "$done_n $ticks $maxrss $sticks"
      done_n=$((done_n + 1))
      maxrss=$rss
    done
    if [ -z "$rpid" ]; then
      # The file ends without a newline, so read fails even as it reads.
      read -r rpid _ 2>/dev/null <"/proc/$tpid/task/$tpid/children" || true
    fi
    if [ -n "$rpid" ] && read -r stat 2>/dev/null <"/proc/$rpid/stat"; then
      # After "pid (comm) ": state is field 0, utime 11, stime 12.
      read -ra f <<<"${stat##*) }"
      ticks=$((f[11] + f[12]))
      while read -r k v _; do
        if [ "$k" = VmRSS: ]; then rss=$v; fi
      done 2>/dev/null <"/proc/$rpid/status" || true
      if ((rss > maxrss)); then maxrss=$rss; fi
    fi
    if [ -n "$pm" ]; then
      sticks=$(cluster_ticks "$pm")
    fi
    read -r -t 0.25 -u "$tick" _ || true
  done >"$out"
  # What was seen after the last cut belongs to the phases still unlogged.
  echo "end $ticks $maxrss $sticks" >>"$out"
  exec {tick}<&-
}

# time -v's figures: wall clock as [h:]m:ss.ss, peak RSS in KiB.
wall_seconds() {
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + p[i]
    printf "%.2f", s }' "$1"
}
peak_mib() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
# CPU seconds (user + system): steadier than wall clock on a shared machine.
cpu_seconds() { awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$1"; }

# One TSV line per phase: phase, seconds, rows, what the rows are, peak RSS.
phases() {
  if [ "$json" = jq ]; then
    jq -r 'select(.msg == "phase done")
      | [.phase, .seconds,
         (if .phase == "fetch xepeng" then .orders, "orders"
          elif .phase == "fetch oxpay" then .asked, "ids"
          elif (.phase | startswith("ingest")) then .rows, "lines"
          elif .phase == "match" then .results, "results"
          else "", "" end),
         .peak_rss_mib] | @tsv' "$1"
  else
    python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("msg") != "phase done":
        continue
    p = r["phase"]
    rows, what = {"fetch xepeng": (r.get("orders"), "orders"), "fetch oxpay": (r.get("asked"), "ids"),
                  "match": (r.get("results"), "results")}.get(p, (r.get("rows"), "lines") if p.startswith("ingest") else ("", ""))
    print("\t".join(str(x) for x in (p, r["seconds"], rows, what, r["peak_rss_mib"])))
PY
  fi
}

# night NAME DATABASE [POSTMASTER_PID] runs recon run from a new, empty
# database in $work/run-NAME ($work/run for sqlite: the baseline reads
# its database), and prints its phases.
night() {
local name=$1 database=$2 postmaster=${3:-} start_sticks=0
run=$work/run
[ "$name" = sqlite ] || run=$work/run-$name
if [ -n "$postmaster" ]; then start_sticks=$(cluster_ticks "$postmaster"); fi
rm -rf "$run"
mkdir -p "$run"
write_config "$run/recon.yaml" "$database" "$run/reports" "$data"

echo "== recon run --date $DATE --oxpay-confirm unconfirmed (empty $name database, $LEDGER_STYLE ledger)"
rc=0
: >"$run/log.jsonl"
/usr/bin/time -v -o "$run/time.txt" "$RECON" run --config "$run/recon.yaml" --date "$DATE" \
  --oxpay-confirm unconfirmed --log-format json >"$run/summary.txt" 2>"$run/log.jsonl" &
time_pid=$!
sample "$time_pid" "$run/log.jsonl" "$run/samples.txt" "$postmaster" &
sampler_pid=$!
wait "$time_pid" || rc=$?
wait "$sampler_pid" || true
if [ "$rc" != 0 ]; then
  tail -20 "$run/log.jsonl" >&2
  die "recon run exited $rc"
fi
phases "$run/log.jsonl" >"$run/phases.tsv"
recon_wall=$(wall_seconds "$run/time.txt")
recon_peak=$(peak_mib "$run/time.txt")
recon_cpu=$(cpu_seconds "$run/time.txt")
ticks=$(getconf CLK_TCK)

# phases.tsv plus each phase's CPU seconds and sampled RSS: phase, seconds,
# rows, what, log peak MiB, CPU s, sampled max RSS MiB. A phase the sampler
# saw no cut for (the last, when the process exited first) gets the rest of
# the whole run's CPU time.
# The eighth column is the PostgreSQL server's CPU seconds (0 on SQLite).
awk -F'\t' -v OFS='\t' -v hz="$ticks" -v total="$recon_cpu" -v sprev="$start_sticks" '
  FILENAME == ARGV[1] {
    split($0, a, " ")
    if (a[1] == "end") { end_rss = a[3]; end_s = a[4] } else { cum[a[1]] = a[2]; rss[a[1]] = a[3]; srv[a[1]] = a[4] }
    next
  }
  {
    i = FNR - 1
    if (i in cum) { c = cum[i] / hz; r = sprintf("%.0f", rss[i] / 1024); sv = srv[i] }
    else { c = total; r = (end_rss > 0 ? sprintf("%.0f", end_rss / 1024) : "-"); sv = end_s }
    cpu = c - prev; prev = c
    scpu = (sv - sprev) / hz; sprev = sv
    print $1, $2, $3, $4, $5, sprintf("%.2f", cpu < 0 ? 0 : cpu), r, sprintf("%.2f", scpu < 0 ? 0 : scpu)
  }' "$run/samples.txt" "$run/phases.tsv" >"$run/phases-cpu.tsv"

echo
echo "recon run on $name, N=$N orders"
awk -F'\t' -v pg="$postmaster" '
  BEGIN {
    printf "  %-16s %8s %8s %9s %-8s %9s %9s %9s%s\n", "phase", "wall s", "CPU s", "rows", "", "rows/s", "RSS MiB", "peak MiB", (pg != "" ? "  server CPU s" : "")
  }
  {
    rate = ($3 != "" && $2 > 0) ? sprintf("%9.0f", $3 / $2) : sprintf("%9s", "-")
    printf "  %-16s %8.2f %8.2f %9s %-8s %s %9s %9s%s\n", $1, $2, $6, $3, $4, rate, $7, $5, (pg != "" ? sprintf("  %13.2f", $8) : "")
    if ($1 ~ /^ingest/ || $1 == "match") { im += $2; imc += $6 }
    if ($1 == "report") { rep = $2; repc = $6 }
    if ($1 ~ /^fetch/) { fe += $2; fec += $6 }
  }
  END {
    printf "  %-16s %8.2f %8.2f\n", "fetch (both)", fe, fec
    printf "  %-16s %8.2f %8.2f\n", "ingest+match", im, imc
    printf "  %-16s %8.2f %8.2f\n", "offline", im + rep, imc + repc
  }' "$run/phases-cpu.tsv"
echo "  whole run: $recon_wall s wall, $recon_cpu s CPU, $recon_peak MiB peak RSS (/usr/bin/time -v)"
echo "  (RSS MiB: the largest resident set sampled during the phase; peak MiB: the log's high-water"
echo "  mark since the start; CPU s: sampled from /proc at the phase's end, +-0.25 s; the sandbox's"
echo "  CPU is not counted; server CPU s: the PostgreSQL cluster's, sampled likewise)"
sed 's/^/  | /' "$run/summary.txt" | grep -v 'wrote' || true
}

night sqlite "$work/run/recon.db"
sqlite_run=$run
if [ "$DB" = postgres ]; then
  pg_database=$(pg_fresh)
  postmaster=""
  if [ -z "${PG_URL:-}" ]; then read -r postmaster _ <"$pgdir/data/postmaster.pid"; fi
  night postgres "$pg_database" "$postmaster"
  pg_run=$run
  run=$sqlite_run
fi
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=

# 4. The baseline, on the same files and the orders and transactions recon
# fetched (its database, read only). Not timed: making the links.
bl=$work/baseline
rm -rf "$bl"
mkdir -p "$bl"
ln -s "$data/ledger.csv" "$bl/ledger.csv"
ln -s "$data/webhooks.jsonl" "$bl/webhooks.jsonl"
ln -s "$run/recon.db" "$bl/recon.db"
echo
echo "== baseline: sqlite3 < bench/baseline.sql"
(cd "$bl" && /usr/bin/time -v -o "$bl/time.txt" sqlite3 <"$root/bench/baseline.sql" >"$bl/out.txt") ||
  { cat "$bl/out.txt" "$bl/time.txt" >&2; die "baseline failed"; }
base_wall=$(wall_seconds "$bl/time.txt")
base_peak=$(peak_mib "$bl/time.txt")
base_cpu=$(cpu_seconds "$bl/time.txt")
awk '/^step / { printf "  %-24s %9.2f s\n", $2, $3 }' "$bl/out.txt"
echo "  whole baseline: $base_wall s wall, $base_cpu s CPU, $base_peak MiB peak RSS (/usr/bin/time -v)"

echo
awk -F'\t' -v bw="$base_wall" -v bc="$base_cpu" -v bp="$base_peak" -v rp="$recon_peak" '
  $1 ~ /^ingest/ || $1 == "match" { im += $2; imc += $6; if ($7 > imr) imr = $7; if ($5 > imp) imp = $5 }
  $1 == "report" { rep = $2; repc = $6; if ($7 > rr) rr = $7 }
  END {
    off = (rr > imr ? rr : imr)
    printf "recon/baseline   %-22s %-22s %-22s\n", "wall clock", "CPU time", "peak RSS"
    printf "  ingest+match   %-22s %-22s %-22s\n",
      sprintf("%.2f (%.1f/%.1f s)", im / bw, im, bw), sprintf("%.2f (%.1f/%.1f s)", imc / bc, imc, bc),
      sprintf("%.2f (%d/%d MiB)", imr / bp, imr, bp)
    printf "  offline        %-22s %-22s %-22s\n",
      sprintf("%.2f (%.1f/%.1f s)", (im + rep) / bw, im + rep, bw), sprintf("%.2f (%.1f/%.1f s)", (imc + repc) / bc, imc + repc, bc),
      sprintf("%.2f (%d/%d MiB)", off / bp, off, bp)
    printf "  (peak RSS of ingest+match: sampled; the log high-water mark by the end of the match, fetch included: %d MiB;\n", imp
    printf "  whole run %d MiB)\n", rp
  }' "$run/phases-cpu.tsv"

# 4b. PostgreSQL against SQLite, back to back on the same night.
exports_ok=0
if [ "$DB" = postgres ]; then
  echo
  awk -F'\t' '
    FILENAME == ARGV[1] { lite[$1] = $0; next }
    { pg[$1] = $0 }
    function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
    END {
      for (p in lite) {
        split(lite[p], l, "\t"); split(pg[p], g, "\t")
        if (p ~ /^ingest/ || p == "match") { lw += l[2]; lc += l[6]; gw += g[2]; gc += g[6]; gs += g[8] }
        if (p ~ /^ingest/ || p == "fetch xepeng") {
          lr[p] = (l[2] > 0 ? l[3] / l[2] : 0); gr[p] = (g[2] > 0 ? g[3] / g[2] : 0)
        }
        if (p == "match") { lm = l[7]; gm = g[7] }
      }
      printf "postgres/sqlite (back to back)     %-24s %-24s\n", "postgres", "sqlite"
      printf "  %-27s %5s  %-24s %-24s  (target <= 2)\n", "ingest+match wall", ratio(gw, lw), sprintf("%.1f s", gw), sprintf("%.1f s", lw)
      printf "  %-27s %5s  %-24s %-24s\n", "ingest+match CPU, recon", ratio(gc, lc), sprintf("%.1f s", gc), sprintf("%.1f s", lc)
      printf "  %-27s %5s  %-24s %-24s\n", "ingest+match CPU, +server", ratio(gc + gs, lc), sprintf("%.1f s (%.1f server)", gc + gs, gs), sprintf("%.1f s", lc)
      printf "  %-27s %5s  %-24s %-24s  (target <= 1)\n", "match peak RSS (sampled)", ratio(gm, lm), gm " MiB", lm " MiB"
      for (p in gr) printf "  %-27s %5s  %-24s %-24s\n", p " rows/s", ratio(gr[p], lr[p]), sprintf("%.0f", gr[p]), sprintf("%.0f", lr[p])
    }' "$sqlite_run/phases-cpu.tsv" "$pg_run/phases-cpu.tsv"
  for f in "exceptions-$DATE.csv" "exceptions-$DATE.json" "resolved-$DATE.csv"; do
    if cmp -s "$sqlite_run/reports/$f" "$pg_run/reports/$f"; then
      echo "  $f: byte-identical on both"
    else
      echo "  $f: DIFFERS between SQLite and PostgreSQL"
      exports_ok=1
    fi
  done
fi

# 5. The counts side by side.
exceptions=$run/reports/exceptions-$DATE.json
if [ "$json" = jq ]; then
  jq -r 'group_by(.category)[] | "\(.[0].category) \(length)"' "$exceptions" >"$run/recon-counts.txt"
else
  python3 -c 'import json, sys, collections
c = collections.Counter(e["category"] for e in json.load(open(sys.argv[1])))
for k, v in sorted(c.items()): print(k, v)' "$exceptions" >"$run/recon-counts.txt"
fi
tail -n +2 "$data/expected.csv" | cut -d, -f1 | sort | uniq -c | awk '{print $2, $1}' >"$run/expected-counts.txt"
awk '/^count / { print $2, $3 }' "$bl/out.txt" >"$run/baseline-counts.txt"
echo
echo "breaks by category"
counts_ok=0
awk -v gross="$([ "$LEDGER_STYLE" = gross ] && echo 1 || echo 0)" '
  FILENAME ~ /expected/ { key[$1] = $2; seen[$1] = 1; next }
  FILENAME ~ /recon-counts/ { rec[$1] = $2; seen[$1] = 1; next }
  { base[$1] = $2; seen[$1] = 1 }
  END {
    printf "  %-28s %12s %8s %8s%s\n", "category", "answer key", "recon", "baseline", (gross ? "" : "  (baseline: gross ledgers only, not checked)")
    n = 0
    for (c in seen) names[++n] = c
    for (i = 2; i <= n; i++) for (j = i; j > 1 && names[j-1] > names[j]; j--) { t = names[j]; names[j] = names[j-1]; names[j-1] = t }
    bad = 0
    for (i = 1; i <= n; i++) {
      c = names[i]
      if (key[c] + rec[c] + base[c] == 0) continue
      note = ""
      if (rec[c] != key[c]) { note = note " recon differs from the answer key"; bad = 1 }
      # The baseline cannot check HMAC signatures: it sees only the
      # unsigned half of the bad ones.
      # It knows only a gross ledger: against a net one it is not held
      # to the answer key.
      if (gross && base[c] != key[c] && !(c == "WEBHOOK_BAD_SIGNATURE" && base[c] <= key[c])) { note = note " baseline differs"; bad = 1 }
      printf "  %-28s %12d %8d %8d%s\n", c, key[c], rec[c], base[c], (note == "" ? "" : "  <-" note)
    }
    exit bad
  }' "$run/expected-counts.txt" "$run/recon-counts.txt" "$run/baseline-counts.txt" || counts_ok=$?
echo
echo "work dir: $work (files in $data)"
# A benchmark whose answers are wrong measures nothing: unless CHECK=0,
# counts that differ from the answer key (beyond the baseline's signature
# blind spot) fail the script.
if [ "$counts_ok" != 0 ] && [ "${CHECK:-1}" != 0 ]; then
  die "break counts differ from the answer key (CHECK=0 to report only)"
fi
if [ "$exports_ok" != 0 ] && [ "${CHECK:-1}" != 0 ]; then
  die "the exports differ between SQLite and PostgreSQL (CHECK=0 to report only)"
fi
