# bench/lib.sh: what bench/e2e.sh and bench/nights.sh share, sourced by
# both. Needs RECON (the recon binary), die (prints and exits) and curl.

# free_port prints a loopback port nothing listens on.
free_port() {
  local p lo
  # Below the ephemeral range, where outgoing connections take their local
  # ports: such a port refuses connections yet cannot be bound.
  read -r lo _ 2>/dev/null </proc/sys/net/ipv4/ip_local_port_range || lo=32768
  for _ in $(seq 1 50); do
    p=$((10000 + RANDOM % (lo - 10000)))
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# serve_sandbox LOG FLAGS... starts `recon sandbox serve FLAGS` on a free
# loopback port, its log in LOG, and waits until it answers; it sets
# server_pid and base. Another process may take the port between the
# check and the bind, so a few ports are tried.
serve_sandbox() {
  local log=$1 attempt port up
  shift
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    base=http://127.0.0.1:$port
    "$RECON" sandbox serve --addr "127.0.0.1:$port" "$@" --log-format json --quiet 2>"$log" &
    server_pid=$!
    up=0
    # The server generates its world before it listens: about 4 s at 1M.
    for _ in $(seq 1 600); do
      kill -0 "$server_pid" 2>/dev/null || break
      if curl -s -o /dev/null --max-time 2 "$base/"; then
        up=1
        break
      fi
      sleep 0.5
    done
    [ "$up" = 1 ] && return 0
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
    if ! grep -q 'address already in use' "$log" || [ "$attempt" = 5 ]; then
      cat "$log" >&2
      die "the sandbox did not answer on $base"
    fi
  done
}

# write_config FILE DATABASE REPORT_DIR INBOX writes recon's config for a
# night against the sandbox at $base (serve_sandbox sets it): no rate
# limit, the files in INBOX as the night's inputs (only the CSV ledger:
# ledger.xlsx holds the same rows), and the generator's settlement
# section when it wrote one (a net ledger: the gateway's fees, calendar
# and deposit pattern, the ledger's fee column). Owner-only, as it holds
# the sandbox's keys.
write_config() {
  local file=$1 database=$2 reports=$3 inbox=$4
  cat >"$file" <<EOF
timezone: $TIMEZONE
database: $database
report_dir: $reports
xepeng:
  base_url: $base
  client_id: sandbox-client
  client_secret: sandbox-secret
  page_size: $PAGE_SIZE
oxpay:
  base_url: $base/oxpay
  api_key: ak-sandbox
  sign_key: sandbox-sign-key
  confirm: unconfirmed
http:
  concurrency: $CONCURRENCY
  rate_limit: 0
inputs:
  webhooks: ["$inbox/webhooks.jsonl"]
  ledger: ["$inbox/ledger.csv"]
EOF
  if [ -f "$inbox/settlement.yaml" ]; then
    cat "$inbox/settlement.yaml" >>"$file"
  fi
  chmod 600 "$file"
}
