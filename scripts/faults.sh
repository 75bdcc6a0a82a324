#!/usr/bin/env bash
# Fault tests against a live siloscope on PostgreSQL (run by .ci/run; about a minute):
#  1. PostgreSQL restarted while requests flow: requests fail with UNAVAILABLE (503)
#     and /readyz says 503 during the outage; both recover without restarting
#     siloscope.
#  2. SIGTERM while a recording batch is in flight: the batch finishes and is kept,
#     new connections are refused, the process exits within the grace period.
#  3. kill -9 in the middle of a recording batch: the batch is wholly recorded or
#     wholly absent.
#  4. kill -9 of `siloscope import interactions` as each of its phases begins
#     (writing, deriving, rollups, commit), on PostgreSQL and SQLite: the import is
#     wholly there or wholly absent, every interaction has its step, and running it
#     again completes it.
# Needs root (it stops and starts the local PostgreSQL cluster), curl and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export PGOPTIONS='--client-min-messages=warning'
PG_ADMIN="${SILOSCOPE_CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_URL="${PG_ADMIN%/*}/siloscope_faults"
cluster="$(ls /etc/postgresql | head -n1)"
pg() { pg_ctlcluster --skip-systemctl-redirect "$cluster" main "$1"; }
pg_up() { for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && return 0; sleep 0.5; done; return 1; }
fail() { echo "FAULT TEST FAILED: $*"; exit 1; }
SERVER_LOG=target/faults-server.log; : >"$SERVER_LOG"

cleanup() {
  [ -n "${SERVER_PID:-}" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  pg_isready -h 127.0.0.1 -p 5432 -q || { pg start || true; pg_up || true; }
}
trap cleanup EXIT

pg_up || { pg start; pg_up; }
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS siloscope_faults WITH (FORCE)" -c "CREATE DATABASE siloscope_faults" >/dev/null
make_org "$PG_URL" faults
TOKEN=$(token "$PG_URL" faults ADMIN)
port=$(free_port)
base="http://127.0.0.1:$port"

gql() { # gql JSON-BODY -> prints "STATUS BODY"
  curl -s -o target/faults-body.json -w '%{http_code}' --max-time 30 "$base/graphql" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$1" || echo "000"
}
count_interactions() {
  psql "$PG_URL" -tAc "SELECT count(*) FROM interaction"
}
# A recording batch of N interactions (N/2 cases of two) as a request body.
batch() {
  python3 - "$1" "$2" <<'PY'
import json, sys
n, tag = int(sys.argv[1]), sys.argv[2]
items = [{"caseRef": f"{tag}-{i // 2}", "occurredAt": f"2026-0{1 + i % 9}-1{i % 10}T10:{i % 60:02d}:00Z",
          "function": {"name": ["Sales", "CX"][i % 2]}, "externalId": f"{tag}-{i}", "note": "call back later"}
         for i in range(n)]
print(json.dumps({"query": "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded userErrors { message } } }",
                  "variables": {"i": items}}))
PY
}

start_server "$PG_URL" "$port" SILOSCOPE_SHUTDOWN_GRACE_SECONDS=20
for f in '{"query":"mutation { createFunction(input: {name: \"Sales\", isCxTeam: false}) { userErrors { code } } }"}' \
         '{"query":"mutation { createFunction(input: {name: \"CX\", isCxTeam: true}) { userErrors { code } } }"}'; do
  [ "$(gql "$f")" = 200 ] || fail "setup: $(cat target/faults-body.json)"
done
query='{"query":"{ functions(first: 5) { nodes { name } } }"}'

echo "== 1. PostgreSQL restart"
[ "$(gql "$query")" = 200 ] || fail "query before the outage"
pg stop
status=$(gql "$query")
[ "$status" = 503 ] || fail "during the outage a query answered $status: $(cat target/faults-body.json)"
grep -q '"UNAVAILABLE"' target/faults-body.json || fail "the outage error is not UNAVAILABLE: $(cat target/faults-body.json)"
ready=$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")
[ "$ready" = 503 ] || fail "/readyz answered $ready during the outage"
pg start; pg_up
ok=""
for _ in $(seq 1 50); do
  if [ "$(gql "$query")" = 200 ]; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || fail "queries did not recover after PostgreSQL came back"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || fail "/readyz did not recover"
echo "   outage: 503 UNAVAILABLE and /readyz 503; recovered without a restart"

echo "== 2. SIGTERM with a batch in flight"
batch 10000 term >target/faults-batch.json
before=$(count_interactions)
curl -s -o target/faults-term.json -w '%{http_code}' --max-time 60 "$base/graphql" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  --data-binary @target/faults-batch.json >target/faults-term.status &
curl_pid=$!
sleep 0.3
started=$(date +%s%N)
kill -TERM "$SERVER_PID"
sleep 0.2
if curl -s --max-time 2 "$base/livez" >/dev/null; then fail "a new connection was accepted after SIGTERM"; fi
wait "$curl_pid" || true
wait "$SERVER_PID" || true
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
[ "$(cat target/faults-term.status)" = 200 ] || fail "the in-flight batch answered $(cat target/faults-term.status)"
grep -q '"recorded":10000' target/faults-term.json || fail "the in-flight batch was not recorded: $(head -c 300 target/faults-term.json)"
[ "$elapsed_ms" -le 22000 ] || fail "exit took ${elapsed_ms} ms, over the 20 s grace"
[ $(( $(count_interactions) - before )) = 10000 ] || fail "the batch is not all in the database"
echo "   in-flight batch finished (10000 recorded), new connections refused, exit after ${elapsed_ms} ms"

echo "== 3. kill -9 in the middle of a batch"
# Early kills catch the batch mid-transaction; the last one comes after it committed.
for delay in 0.3 1 8; do
  start_server "$PG_URL" "$port"
  batch 10000 "kill$delay" >target/faults-batch.json
  before=$(count_interactions)
  curl -s -o /dev/null --max-time 60 "$base/graphql" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary @target/faults-batch.json &
  curl_pid=$!
  sleep "$delay"
  kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  wait "$curl_pid" 2>/dev/null || true
  added=$(( $(count_interactions) - before ))
  [ "$added" = 0 ] || [ "$added" = 10000 ] || fail "a killed batch left $added of 10000 interactions"
  echo "   killed after $delay s: $added of 10000 recorded (all or nothing)"
done
SERVER_PID=""

echo "== 4. kill -9 as each phase of an import begins"
rows=30000
python3 - "$rows" >target/faults-import.csv <<'PY'
import sys
n = int(sys.argv[1])
print("external_id,case_ref,occurred_at,function,touchpoint,note,customer_action_required")
for i in range(n):
    # Cases of three, their rows far apart in the file (each case spans chunks).
    case = i % (n // 3)
    print(f"imp-{i},IMP-{case},2026-0{1 + i % 9}-{10 + i % 18}T{i % 24:02d}:{i % 60:02d}:00Z,"
          f"{['Sales', 'CX'][i % 2]},,call back later,false")
PY
import_into() { # import_into URL LOGFILE: runs the import in the background, sets IMPORT_PID
  SILOSCOPE_LOG=info SILOSCOPE_DATABASE_URL="$1" "$SILOSCOPE_BIN" import interactions \
    target/faults-import.csv --org faults --create-missing >"$2" 2>&1 &
  IMPORT_PID=$!
}
count() { # count URL TABLE
  case "$1" in
    sqlite*) sqlite3 "$(echo "${1#sqlite://}" | cut -d'?' -f1)" "SELECT count(*) FROM $2" ;;
    *) psql "$1" -tAc "SELECT count(*) FROM $2" ;;
  esac
}
sqlite_url=$(fresh_sqlite faults-import)
make_org "$sqlite_url" faults
for target in "$PG_URL" "$sqlite_url"; do
  base=$(count "$target" interaction)
  for phase in writing deriving rollups commit; do
    before=$(count "$target" interaction)
    import_into "$target" target/faults-import.log
    for _ in $(seq 1 6000); do
      grep -q "import phase: $phase" target/faults-import.log && break
      kill -0 "$IMPORT_PID" 2>/dev/null || break
      sleep 0.01
    done
    grep -q "import phase: $phase" target/faults-import.log || fail "the import never began $phase: $(tail -3 target/faults-import.log)"
    kill -9 "$IMPORT_PID" 2>/dev/null || true; wait "$IMPORT_PID" 2>/dev/null || true
    added=$(( $(count "$target" interaction) - before ))
    [ "$added" = 0 ] || [ "$added" = "$rows" ] || fail "an import killed at $phase left $added of $rows interactions"
    # (A kill can land after the commit: then the import is all there, and the
    # next runs find every row recorded.)
    [ "$(count "$target" interaction)" = "$(count "$target" step)" ] || fail "killed at $phase: interactions without steps"
    echo "   ${target%%:*}: killed as $phase began, $added of $rows interactions there"
  done
  import_into "$target" target/faults-import.log
  wait "$IMPORT_PID" || fail "the import after the kills failed: $(tail -3 target/faults-import.log)"
  [ $(( $(count "$target" interaction) - base )) = "$rows" ] || fail "the re-run did not complete the import"
  [ "$(count "$target" step)" = "$(count "$target" interaction)" ] || fail "the re-run left interactions without steps"
  echo "   ${target%%:*}: run again, the import is complete ($rows interactions, $rows steps)"
done

psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS siloscope_faults WITH (FORCE)" >/dev/null
echo "fault tests passed"
