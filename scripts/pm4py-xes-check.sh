#!/usr/bin/env bash
# PM4Py (pinned in scripts/peers/requirements.txt, installed under target/peers) reads
# the XES siloscope exports of the test fixture and finds the same handover-of-work
# network as `handoffNetwork` (scripts/pm4py_xes_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

peers=target/peers
mkdir -p "$peers"
if [ ! -x "$peers/venv/bin/python" ]; then python3 -m venv "$peers/venv"; fi
"$peers/venv/bin/pip" install -q -r scripts/peers/requirements.txt

work=target/pm4py-xes-check && rm -rf "$work" && mkdir -p "$work"
url=$(fresh_sqlite pm4py-xes-check)
make_org "$url" fixture
port=$(free_port)
SERVER_LOG="$work/server.log" start_server "$url" "$port"
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
"$peers/venv/bin/python" scripts/pm4py_xes_check.py "http://127.0.0.1:$port" \
  "$(token "$url" fixture ADMIN)" tests/data/small "$work"
