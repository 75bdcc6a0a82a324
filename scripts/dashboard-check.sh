#!/usr/bin/env bash
# The dashboard in a real browser: loads the test fixture (tests/data/small) into a
# fresh SQLite database with the command line, puts the organization in
# Europe/Berlin, starts `siloscope serve`, and has Debian's headless Chromium, driven by
# playwright-core (pinned in scripts/browser/), open /dashboard with a VIEWER token.
# scripts/browser/dashboard-check.mjs checks that the figures on the page equal the
# API's (a month, a week and a quarter, against the period before and a year earlier),
# clicks from the network to the handoffs and to a case, sorts a table, signs in by
# pasting a token, looks at the print view, checks that the page reads at 1400 px and
# at 390 px (no sideways scrolling, trend labels apart, every arrow chosen by a click
# on its middle, panels opened next to what was clicked), names refused address
# parameters, and fails on any console error or failed request.
# Screenshots go to target/dashboard-*.png; with DASHBOARD_DOCS=docs, the default view
# at both widths and the chart vs. log table are also copied to docs/dashboard.png,
# docs/dashboard-mobile.png, docs/dashboard-chart-vs-log.png and docs/dashboard-voice.png
# (the README's). The fixture's feedback is imported too, for the Scores vs. silos panel.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_chromium
work=target/dashboard-check && rm -rf "$work" && mkdir -p "$work"
cp scripts/browser/package.json scripts/browser/package-lock.json scripts/browser/dashboard-check.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

url=$(fresh_sqlite dashboard-check)
make_org "$url" fixture
export SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$url"
"$SILOSCOPE_BIN" import org tests/data/small/org.json --org fixture >/dev/null
"$SILOSCOPE_BIN" import interactions tests/data/small/interactions.csv --org fixture >/dev/null
"$SILOSCOPE_BIN" import feedback tests/data/small/feedback.csv --org fixture >/dev/null
port=$(free_port)
SERVER_LOG="$work/server.log" start_server "$url" "$port"
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
admin=$(token "$url" fixture ADMIN)
curl -fs "http://127.0.0.1:$port/graphql" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"query":"mutation { updateSettings(input: { timeZone: \"Europe/Berlin\" }) { userErrors { message } } }"}' \
  | grep -q '"userErrors":\[\]' || { echo "could not set the time zone"; exit 1; }

BASE="http://127.0.0.1:$port" TOKEN=$(token "$url" fixture VIEWER) SHOTS="$(pwd)/target" DOCS="${DASHBOARD_DOCS:-}" \
  node "$work/dashboard-check.mjs"
