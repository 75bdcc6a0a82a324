#!/usr/bin/env bash
# GraphiQL in a real browser, with no internet: starts `siloscope demo`, opens the link
# it prints in Debian's headless Chromium (driven by playwright-core, pinned in
# scripts/browser/) with every host but 127.0.0.1 unresolvable, checks that GraphiQL
# rendered with the Authorization header filled in from the link, runs a query, and
# checks that no browser storage holds the token afterwards
# (scripts/browser/graphiql-check.mjs). Installs Debian's `chromium` if it is missing.
# Leaves a screenshot in target/graphiql.png.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_chromium

work=target/graphiql-check && rm -rf "$work" && mkdir -p "$work"
port=$(free_port)
SILOSCOPE_LOG=warn SILOSCOPE_LISTEN="127.0.0.1:$port" "$SILOSCOPE_BIN" demo \
  --file "$work/demo.db" --interactions 300 >"$work/demo.out" 2>&1 &
demo_pid=$!
trap 'kill "$demo_pid" 2>/dev/null || true' EXIT
link=""
for _ in $(seq 1 300); do
  link=$(sed -n 's/^GraphiQL: *//p' "$work/demo.out")
  [ -n "$link" ] && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.out"; echo "demo exited"; exit 1; }
  sleep 0.1
done
[ -n "$link" ] || { echo "demo printed no GraphiQL link"; exit 1; }
case "$link" in *"#token="*) ;; *) echo "the link carries no token: $link"; exit 1 ;; esac

cp scripts/browser/package.json scripts/browser/package-lock.json scripts/browser/graphiql-check.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
LINK="$link" SHOT="$(pwd)/target/graphiql.png" node "$work/graphiql-check.mjs"
