#!/usr/bin/env bash
# CORS in a real browser (README, "Browser access"): starts `siloscope serve` with
# SILOSCOPE_CORS_ORIGINS naming one origin, serves an empty page on that origin and on
# another (Python's http.server, two ports of 127.0.0.1), and has Debian's headless
# Chromium, driven by playwright-core (pinned in scripts/browser/), call /graphql from
# each: scripts/browser/cors-check.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_chromium
work=target/cors-check && rm -rf "$work" && mkdir -p "$work/site"
cp scripts/browser/package.json scripts/browser/package-lock.json scripts/browser/cors-check.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo '<!doctype html><title>another origin</title>' >"$work/site/index.html"

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
allowed_port=$(free_port) refused_port=$(free_port)
for port in "$allowed_port" "$refused_port"; do
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/site" >/dev/null 2>&1 &
  PIDS+=("$!")
done

url=$(fresh_sqlite cors-check)
make_org "$url" cors
port=$(free_port)
SERVER_LOG="$work/server.log" start_server "$url" "$port" \
  SILOSCOPE_CORS_ORIGINS="http://127.0.0.1:$allowed_port"
PIDS+=("$SERVER_PID")
for p in "$allowed_port" "$refused_port"; do
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$p/index.html" >/dev/null && break; sleep 0.1; done
done

BASE="http://127.0.0.1:$port" TOKEN=$(token "$url" cors VIEWER) \
  ALLOWED="http://127.0.0.1:$allowed_port" REFUSED="http://127.0.0.1:$refused_port" \
  node "$work/cors-check.mjs"
echo "CORS checks passed in Chromium"
