#!/usr/bin/env bash
# The scale benchmark with its peers, side by side in one run (see BENCHMARKS.md).
#
#   scripts/bench.sh                          # 10k, 100k and 1M on SQLite and PostgreSQL
#   scripts/bench.sh --sizes 10000 --db sqlite   # any arguments go to benches/scale.rs
#
# Installs what it needs: wrk (Debian package), PM4Py (PyPI, pinned in
# scripts/peers/requirements.txt) in target/peers/venv, PostGraphile (npm, pinned in
# scripts/peers/package.json) in target/peers. A peer that cannot be installed is
# skipped with a message; the siloscope and floor figures are still measured.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=target/peers
mkdir -p "$peers" target/bench

if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
  else
    sudo apt-get install -y -q wrk >/dev/null
  fi
fi

extra=()
echo "== PM4Py"
if [ ! -x "$peers/venv/bin/python" ]; then python3 -m venv "$peers/venv"; fi
if "$peers/venv/bin/pip" install -q -r scripts/peers/requirements.txt; then
  extra+=(--python "$peers/venv/bin/python")
else
  echo "PM4Py could not be installed: its comparison is skipped"
fi

echo "== PostGraphile"
cp scripts/peers/package.json "$peers/package.json"
if (cd "$peers" && npm install --no-audit --no-fund --loglevel=error >/dev/null); then
  extra+=(--postgraphile "$peers/node_modules/.bin/postgraphile")
else
  echo "PostGraphile could not be installed: its comparison is skipped"
fi

echo "== PostgreSQL"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

echo "== benchmark (commit $(git rev-parse --short HEAD))"
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(--sizes 10000,100000,1000000 --db sqlite,postgres); fi
cargo bench --bench scale -- "${args[@]}" "${extra[@]}" --out target/bench/table.md
echo "table written to target/bench/table.md"
