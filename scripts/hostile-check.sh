#!/usr/bin/env bash
# Every door held against hostile input, on SQLite and PostgreSQL: gzip and plain giant
# fields, decompression bombs, billion laughs, XXE, 100k-deep nesting in XML and JSON,
# ragged and unterminated CSV (logs and feedback files alike), a 10,000-character SCIM
# filter, four bombs at once. For
# each, scripts/hostile/hostile.py checks the status, that nothing was written, that
# the server stays up, and the server's peak RSS (VmHWM): under 300 MiB through any
# single hostile request, under 500 MiB with four at once. The payloads (a few MB
# each, up to 4 GiB decompressed) are generated once into target/hostile-payloads.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PG_URL="${SILOSCOPE_CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
export SERVER_LOG=target/hostile-check.log
: >"$SERVER_LOG"

run() {
  local label="$1" url="$2"
  echo "-- $label"
  make_org "$url" hostile
  local admin; admin=$(token "$url" hostile ADMIN)
  local port; port=$(free_port)
  start_server "$url" "$port"
  PIDS+=("$SERVER_PID")
  python3 scripts/hostile/hostile.py "http://127.0.0.1:$port" "$admin" "$SERVER_PID" target/hostile-payloads
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
}

run sqlite "$(fresh_sqlite hostile-check)"
db="siloscope_hostile_$$"
psql -q "$PG_URL" -c "CREATE DATABASE $db"
run postgres "${PG_URL%/*}/$db"
psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
echo "hostile check passed"
