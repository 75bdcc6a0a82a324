#!/usr/bin/env bash
# The graphql-over-http conformance audit (npm graphql-http, pinned in
# scripts/tools/package.json) against a live siloscope on SQLite. Fails when a MUST
# fails. Installs its tools under target/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mkdir -p target/tools
cp scripts/tools/package.json scripts/tools/audit.mjs target/tools/
(cd target/tools && npm install --no-audit --no-fund --loglevel=error >/dev/null)

url=$(fresh_sqlite http-audit)
make_org "$url" audit
port=$(free_port)
start_server "$url" "$port"
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
URL="http://127.0.0.1:$port/graphql" TOKEN=$(token "$url" audit VIEWER) \
  node target/tools/audit.mjs 2>&1 | tee target/http-audit.log
