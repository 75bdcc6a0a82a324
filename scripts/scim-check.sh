#!/usr/bin/env bash
# SCIM 2.0 compliance: scim2-tester (PyPI, pinned in scripts/scim/requirements.txt, run
# through scim2-cli's `test`) against a live siloscope, authenticated with an API key
# of role INTEGRATION, on SQLite and on PostgreSQL (SILOSCOPE_CI_POSTGRES_URL, when
# set). Every check must report SUCCESS: the command exits non-zero on anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

venv=target/scim/venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r scripts/scim/requirements.txt

check() {
  local url="$1" label="$2"
  make_org "$url" scim
  local port; port=$(free_port)
  # At debug level, so that the check below sees everything the server logs.
  rm -f "target/scim/server-$label.log"
  SILOSCOPE_LOG=debug SERVER_LOG="target/scim/server-$label.log" start_server "$url" "$port"
  local admin; admin=$(token "$url" scim ADMIN)
  local key
  key=$(curl -fs "http://127.0.0.1:$port/graphql" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' \
    -d '{"query":"mutation { createApiKey(input: { name: \"scim2-tester\", roles: [INTEGRATION] }) { secret userErrors { message } } }"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["secret"])')
  echo "== scim2-tester on $label"
  local status=0
  SCIM_CLI_HEADERS="Authorization: Bearer $key" "$venv/bin/scim" \
    --url "http://127.0.0.1:$port/scim/v2" test > "target/scim/tester-$label.log" 2>&1 || status=$?
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  grep -c '^SUCCESS' "target/scim/tester-$label.log" | xargs echo "checks passed:"
  # The key went in the Authorization header of every request: its secret part must
  # appear in no log line.
  if grep -qF "${key#sk_*_}" "target/scim/server-$label.log"; then
    echo "the API key's secret appears in the server's log"; return 1
  fi
  if [ "$status" != 0 ]; then
    grep -v '^SUCCESS' "target/scim/tester-$label.log" | head -60
    echo "scim2-tester reported checks that did not succeed on $label (target/scim/tester-$label.log)"
    return 1
  fi
}

mkdir -p target/scim
check "$(fresh_sqlite scim-check)" sqlite
if [ -n "${SILOSCOPE_CI_POSTGRES_URL:-}" ]; then
  base="${SILOSCOPE_CI_POSTGRES_URL%/*}"
  PGOPTIONS="-c client_min_messages=warning" psql "$SILOSCOPE_CI_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS siloscope_scim WITH (FORCE)" -c "CREATE DATABASE siloscope_scim" >/dev/null
  check "$base/siloscope_scim" postgres
fi
echo "scim2-tester: every check SUCCESS"
