#!/usr/bin/env bash
# Live delivery figures (BENCHMARKS.md, "Live delivery"): 100 graphql-ws subscribers,
# recording with and without them, on SQLite (one process) and on PostgreSQL (two
# processes: subscribers on A, recording through B), with PostgreSQL's own NOTIFY
# round trip as the floor. Uses the release binary (built first).
#
#   scripts/live-bench.sh          # prints the table and writes target/bench/live.md
set -euo pipefail
cd "$(dirname "$0")/.."
export SILOSCOPE_BIN=target/release/siloscope
source scripts/lib.sh
cargo build --release --quiet
PG_URL="${SILOSCOPE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
mkdir -p target/tools/live target/bench
cp scripts/live/package.json scripts/live/bench.mjs target/tools/live/
(cd target/tools/live && npm install --no-audit --no-fund --loglevel=error >/dev/null)

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
# One process may serve 100 subscribers of one organization.
LIVE_ENV=(SILOSCOPE_MAX_SUBSCRIPTIONS_PER_ORG=1000)

bench_case() {
  local label="$1" url="$2" two="$3"
  make_org "$url" bench
  for name in Sales CX; do
    local cx=false; [ "$name" = CX ] && cx=true
    printf '{"functions":[{"name":"%s","isCxTeam":%s}]}' "$name" "$cx" >target/bench/live-org.json
    SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$url" "$SILOSCOPE_BIN" import org target/bench/live-org.json --org bench >/dev/null
  done
  local port_a port_b
  port_a=$(free_port); start_server "$url" "$port_a" "${LIVE_ENV[@]}"; PIDS+=("$SERVER_PID")
  if [ "$two" = yes ]; then port_b=$(free_port); start_server "$url" "$port_b" "${LIVE_ENV[@]}"; PIDS+=("$SERVER_PID"); else port_b=$port_a; fi
  local floor=""; [ "$two" = yes ] && floor="$url"
  LABEL="$label" A="http://127.0.0.1:$port_a" B="http://127.0.0.1:$port_b" \
    TOKEN_ADMIN=$(token "$url" bench ADMIN) TOKEN_VIEWER=$(token "$url" bench VIEWER) PG_URL="$floor" \
    node target/tools/live/bench.mjs
  cleanup; PIDS=()
}

{
  echo "| database | figure | value |"
  echo "|---|---|---|"
  bench_case "SQLite, one process" "$(fresh_sqlite live-bench)" no
  DB=siloscope_live_bench
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
  bench_case "PostgreSQL, subscribers on A, recording through B" "${PG_URL%/*}/$DB" yes
} | tee target/bench/live.md
