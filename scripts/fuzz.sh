#!/usr/bin/env bash
# Fuzzes a live siloscope (SQLite) with schemathesis in GraphQL mode (PyPI, pinned in
# scripts/tools/requirements.txt): it reads the schema by introspection and sends
# generated queries and mutations as an ADMIN. Fails on any 5xx or a crash.
#
#   scripts/fuzz.sh            # 60 s (what .ci/run uses: FUZZ_SECONDS=60)
#   FUZZ_SECONDS=1800 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
seconds="${FUZZ_SECONDS:-60}"

mkdir -p target/tools
[ -x target/tools/venv/bin/python ] || python3 -m venv target/tools/venv
target/tools/venv/bin/pip install -q -r scripts/tools/requirements.txt

url=$(fresh_sqlite fuzz)
make_org "$url" fuzz
port=$(free_port)
SERVER_LOG=target/fuzz-server.log; : >"$SERVER_LOG"
start_server "$url" "$port"
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT

status=0
target/tools/venv/bin/schemathesis run "http://127.0.0.1:$port/graphql" \
  -H "Authorization: Bearer $(token "$url" fuzz ADMIN)" \
  --checks not_a_server_error --max-time "$seconds" --workers 1 \
  --request-timeout 30 --continue-on-failure || status=$?
kill -0 "$SERVER_PID" 2>/dev/null || { echo "siloscope crashed during fuzzing (see $SERVER_LOG)"; exit 1; }
exit "$status"
