# Helpers shared by the scripts that drive a live siloscope: start one, mint a token.
# Source it; it expects `set -euo pipefail` and the repository root as the cwd.

SILOSCOPE_BIN="${SILOSCOPE_BIN:-target/debug/siloscope}"
# Given or not, it is no variable of the service (which refuses unknown SILOSCOPE_ ones).
export -n SILOSCOPE_BIN
export SILOSCOPE_JWT_SECRET="${SILOSCOPE_JWT_SECRET:-scripts-secret-scripts-secret-0123456789}"

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server DATABASE_URL PORT [extra env...]: starts `siloscope serve` in the
# background, sets SERVER_PID, waits for /readyz.
start_server() {
  local url="$1" port="$2"; shift 2
  env "$@" SILOSCOPE_DATABASE_URL="$url" SILOSCOPE_LISTEN="127.0.0.1:$port" \
    SILOSCOPE_LOG="${SILOSCOPE_LOG:-warn}" "$SILOSCOPE_BIN" serve >>"${SERVER_LOG:-/dev/null}" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "siloscope serve exited"; return 1; }
    sleep 0.1
  done
  echo "siloscope serve did not become ready"; return 1
}

# A fresh SQLite file URL under target/.
fresh_sqlite() {
  local file="target/$1.db"
  rm -f "$file" "$file-wal" "$file-shm"
  echo "sqlite://$file?mode=rwc"
}

# make_org URL SLUG: creates the organization (migrating first).
make_org() {
  SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$1" "$SILOSCOPE_BIN" migrate >/dev/null
  SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$1" "$SILOSCOPE_BIN" org create --slug "$2" --name "$2" >/dev/null
}

# token URL SLUG ROLE: a token for an organization of the database at URL.
token() {
  SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$1" "$SILOSCOPE_BIN" token --org "$2" --role "$3" --ttl 3600
}

# Installs Debian's chromium when it is missing (the browser checks drive it).
ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    echo "installing Debian's chromium"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get install -y -q chromium >/dev/null 2>&1 \
      || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
  fi
  chromium --version 2>/dev/null
}
