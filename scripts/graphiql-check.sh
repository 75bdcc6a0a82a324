#!/usr/bin/env bash
# GraphiQL in a real browser, with no internet: starts `siloscope demo`, opens the link
# it prints in Debian's headless Chromium with every host but 127.0.0.1 unresolvable,
# and checks that GraphiQL rendered, with the Authorization header filled in from the
# link and the schema loaded with it. Installs Debian's `chromium` if it is missing.
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

browse() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --virtual-time-budget=15000 --window-size=1400,900 "$@" 2>>"$work/chromium.log"
}
browse --dump-dom "$link" >"$work/dom.html"
browse --screenshot="$(pwd)/target/graphiql.png" "$link" >/dev/null || true

fail() { echo "GraphiQL check failed: $1 (DOM in $work/dom.html)"; exit 1; }
grep -q 'class="graphiql-container' "$work/dom.html" || fail "GraphiQL did not render"
grep -q 'Loading GraphiQL' "$work/dom.html" && fail "the page is stuck loading"
# The headers editor holds the token from the link.
grep -q 'Bearer' "$work/dom.html" || fail "the Authorization header was not filled in"
# The schema was introspected with that token: an introspection refused for want of
# one would show its error in the result pane.
grep -q 'UNAUTHENTICATED' "$work/dom.html" && fail "the schema was fetched without the token"
grep -q 'graphiql-editor' "$work/dom.html" || fail "no editor"
echo "GraphiQL rendered offline with the header from the demo link (target/graphiql.png)"
