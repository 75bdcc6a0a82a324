#!/usr/bin/env bash
# Subscriptions and webhooks against live processes: on PostgreSQL two siloscope
# processes on one database (subscribe on A, record on B, the relays' LISTEN
# connections killed mid-run), on SQLite one. The npm graphql-ws client and raw
# frames (scripts/live/live-check.mjs) check the close codes, the filters, the
# organization isolation, order and exactly-once; a receiver verifies every webhook
# signature with the PyPI standardwebhooks package (scripts/live/receiver.py); then
# the senders are killed with -9 while a message is undelivered, and it still arrives.
# Tools are pinned in scripts/live/ and installed under target/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PG_URL="${SILOSCOPE_CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
mkdir -p target/tools/live
cp scripts/live/package.json scripts/live/live-check.mjs target/tools/live/
(cd target/tools/live && npm install --no-audit --no-fund --loglevel=error >/dev/null)
[ -x target/tools/live-venv/bin/python ] || python3 -m venv target/tools/live-venv
target/tools/live-venv/bin/pip install -q --disable-pip-version-check -r scripts/live/requirements.txt

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

export SERVER_LOG=target/live-check.log
: >"$SERVER_LOG"
LIVE_ENV=(SILOSCOPE_WS_INIT_TIMEOUT_MS=700 SILOSCOPE_WEBHOOK_RETRY_BASE_MS=200 SILOSCOPE_LIVE_POLL_MS=500 SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1 SILOSCOPE_WEBHOOK_TIMEOUT_SECONDS=2)

start_receiver() {
  target/tools/live-venv/bin/python scripts/live/receiver.py "$1" "$2" "$3" &
  RECEIVER_PID=$!
  PIDS+=("$RECEIVER_PID")
  for _ in $(seq 1 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the receiver did not start"; return 1
}

# check_case LABEL DATABASE_URL TWO_PROCESSES(yes|no)
check_case() {
  local label="$1" url="$2" two="$3"
  echo "-- $label"
  make_org "$url" live
  SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$url" "$SILOSCOPE_BIN" org create --slug other --name other >/dev/null
  SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$url" "$SILOSCOPE_BIN" import org tests/data/small/org.json --org live >/dev/null
  local secret_file="target/live-$label.secret" received="target/live-$label.received.jsonl"
  rm -f "$secret_file" "$received"; touch "$secret_file"
  local receiver_port; receiver_port=$(free_port)
  start_receiver "$receiver_port" "$secret_file" "$received"

  local port_a port_b pid_a pid_b
  port_a=$(free_port); start_server "$url" "$port_a" "${LIVE_ENV[@]}"; pid_a=$SERVER_PID; PIDS+=("$pid_a")
  if [ "$two" = yes ]; then
    port_b=$(free_port); start_server "$url" "$port_b" "${LIVE_ENV[@]}"; pid_b=$SERVER_PID; PIDS+=("$pid_b")
  else
    port_b=$port_a; pid_b=$pid_a
  fi
  local kill_listeners=""
  if [ "$two" = yes ]; then
    kill_listeners="psql '$url' -tAc \"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()\""
  fi
  local admin; admin=$(token "$url" live ADMIN)
  A="http://127.0.0.1:$port_a" B="http://127.0.0.1:$port_b" \
    TOKEN_VIEWER=$(token "$url" live VIEWER) TOKEN_ADMIN="$admin" TOKEN_OTHER=$(token "$url" other VIEWER) \
    TOKEN_SHORT=$(SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$url" "$SILOSCOPE_BIN" token --org live --role VIEWER --ttl 2) \
    CSV=tests/data/small/interactions.csv EXPECTED=tests/data/small/expected.json \
    RECEIVER_URL="http://127.0.0.1:$receiver_port/hook" SECRET_FILE="$secret_file" RECEIVED="$received" \
    KILL_LISTENERS="$kill_listeners" node target/tools/live/live-check.mjs

  # The README's Python subscription, its block extracted as written, receives a SILO
  # handoff recorded meanwhile (recorded again, as a new case, until it does).
  local gql_out="target/live-$label.gql.txt" snippet="target/live-$label.readme_subscribe.py"
  python3 - "$snippet" <<'PY'
import re, sys
readme = open("README.md").read()
section = readme[readme.index("From Python (PyPI `gql[websockets]`)"):]
block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
open(sys.argv[1], "w").write(block)
PY
  PORT="$port_a" TOKEN="$(token "$url" live VIEWER)" timeout 60 target/tools/live-venv/bin/python -u "$snippet" >"$gql_out" 2>&1 &
  local gql_pid=$!
  local got=""
  for attempt in $(seq 1 40); do
    local python_case="{\"query\":\"mutation { recordInteractions(input: [{caseRef: \\\"py-case-$attempt\\\", occurredAt: \\\"2026-10-02T09:00:00Z\\\", function: {name: \\\"Sales\\\"}, externalId: \\\"py-$attempt-1\\\"}, {caseRef: \\\"py-case-$attempt\\\", occurredAt: \\\"2026-10-02T10:00:00Z\\\", function: {name: \\\"Customer Experience\\\"}, externalId: \\\"py-$attempt-2\\\"}]) { recorded } }\"}"
    curl -fsS -H "authorization: Bearer $admin" -H 'content-type: application/json' -d "$python_case" "http://127.0.0.1:$port_b/graphql" >/dev/null
    sleep 0.5
    if grep -q "py-case-.*SILO" "$gql_out"; then got=yes; break; fi
  done
  kill "$gql_pid" 2>/dev/null || true; wait "$gql_pid" 2>/dev/null || true
  [ -n "$got" ] || { echo "FAIL the README's Python subscription got: $(cat "$gql_out")"; exit 1; }
  echo "ok   the README's Python subscription (gql, graphql-transport-ws) received the SILO handoff"

  # Nothing lost across kill -9: the receiver is down, a SILO handoff is recorded,
  # every sender is killed with -9, then the receiver and one process come back.
  kill "$RECEIVER_PID" 2>/dev/null || true; wait "$RECEIVER_PID" 2>/dev/null || true
  local batch='{"query":"mutation { recordInteractions(input: [{caseRef: \"kill9-case\", occurredAt: \"2026-10-01T09:00:00Z\", function: {name: \"Sales\"}, externalId: \"kill9-1\"}, {caseRef: \"kill9-case\", occurredAt: \"2026-10-01T10:00:00Z\", function: {name: \"Customer Experience\"}, externalId: \"kill9-2\"}]) { recorded newSiloHandoffs } }"}'
  curl -fsS -H "authorization: Bearer $admin" -H 'content-type: application/json' -d "$batch" "http://127.0.0.1:$port_b/graphql" >/dev/null
  kill -9 "$pid_a" "$pid_b" 2>/dev/null || true
  wait "$pid_a" "$pid_b" 2>/dev/null || true
  start_receiver "$receiver_port" "$secret_file" "$received"
  start_server "$url" "$port_a" "${LIVE_ENV[@]}"; PIDS+=("$SERVER_PID")
  # A sender killed between taking the message and settling it held it under a lease
  # (twice the 2 s timeout plus 5 s): the restarted one takes it when the lease ends.
  local delivered=no
  for _ in $(seq 1 200); do
    if grep -q 'kill9-case' "$received" 2>/dev/null; then delivered=yes; break; fi
    sleep 0.2
  done
  [ "$delivered" = yes ] || { echo "FAIL a message written before kill -9 was never delivered"; exit 1; }
  python3 - "$received" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [l for l in lines if 'kill9-case' in json.dumps(l['payload'])]
assert mine and all(l['verified'] for l in mine), mine
assert any(l['type'] == 'silo_handoffs.detected' for l in mine), [l['type'] for l in mine]
print(f"ok   the messages written before kill -9 arrived after the restart, signed ({len(mine)})")
PY
  kill -9 "$SERVER_PID" "$RECEIVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" "$RECEIVER_PID" 2>/dev/null || true
}

check_case sqlite "$(fresh_sqlite live-check)" no

DB=siloscope_live_check
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
check_case postgres "${PG_URL%/*}/$DB" yes
echo "live checks passed on SQLite and PostgreSQL"
