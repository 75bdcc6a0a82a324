#!/usr/bin/env bash
# siloscope behind Debian's PgBouncer in transaction mode: two replicas through one
# pooler with few server connections (so every server session serves both, in turn),
# two organizations recording and reading at once. Checks that every request
# succeeds, that each organization sees exactly its own rows and figures, and that
# nothing crosses. PgBouncer runs without server_reset_query_always, so the server
# sessions keep whatever a previous client left on them (prepared statements, role
# settings): siloscope must not depend on them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PG_URL="${SILOSCOPE_CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "installing Debian's pgbouncer"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q pgbouncer >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q pgbouncer >/dev/null; }
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
"$PGBOUNCER" --version | head -1

PIDS=()
dir=target/pooler-check
# PgBouncer's own files: run as root it drops to the postgres user, who must reach
# them, and a checkout may sit in a directory only its owner can enter (mktemp -d,
# a home directory), so they live in a directory of their own under /tmp.
bouncer=$(mktemp -d /tmp/siloscope-pgbouncer.XXXXXX)
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  [ -f "$bouncer/pgbouncer.pid" ] && kill "$(cat "$bouncer/pgbouncer.pid")" 2>/dev/null || true
  rm -rf "$bouncer"
}
trap cleanup EXIT
rm -rf "$dir"; mkdir -p "$dir"
chmod 777 "$dir" "$bouncer"

# A fresh database on the real server.
db="siloscope_pooler_$$"
admin="${PG_URL%/*}"
psql -q "$PG_URL" -c "CREATE DATABASE $db"
direct="$admin/$db"

pg_host=$(python3 -c "import urllib.parse,sys; u=urllib.parse.urlparse(sys.argv[1]); print(u.hostname or '127.0.0.1', u.port or 5432, u.username or 'postgres')" "$PG_URL")
read -r host pgport user <<<"$pg_host"
port=$(free_port)
cat >"$bouncer/pgbouncer.ini" <<EOF
[databases]
* = host=$host port=$pgport
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $bouncer/users.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = $bouncer/pgbouncer.log
pidfile = $bouncer/pgbouncer.pid
EOF
echo "\"$user\" \"\"" >"$bouncer/users.txt"
chmod 644 "$bouncer"/*
run_as=()
[ "$(id -u)" = 0 ] && run_as=(-u postgres)
"$PGBOUNCER" -d "${run_as[@]}" "$bouncer/pgbouncer.ini"
for _ in $(seq 1 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
  sleep 0.1
done
pooled="postgresql://$user@127.0.0.1:$port/$db"
echo "PgBouncer $port (transaction mode, 3 server connections) in front of $host:$pgport"

POOLER_ENV=(SILOSCOPE_DATABASE_POOLER=transaction SILOSCOPE_DATABASE_DIRECT_URL="$direct")
# Migrated and the organizations made through the pooler, as a deploy step would.
for org in north south; do
  env "${POOLER_ENV[@]}" SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$pooled" "$SILOSCOPE_BIN" org create --slug "$org" --name "$org" >/dev/null
done
north=$(env "${POOLER_ENV[@]}" SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$pooled" "$SILOSCOPE_BIN" token --org north --role ADMIN --ttl 3600)
south=$(env "${POOLER_ENV[@]}" SILOSCOPE_LOG=warn SILOSCOPE_DATABASE_URL="$pooled" "$SILOSCOPE_BIN" token --org south --role ADMIN --ttl 3600)

export SERVER_LOG="$dir/servers.log"
port_a=$(free_port); start_server "$pooled" "$port_a" "${POOLER_ENV[@]}" SILOSCOPE_DB_MAX_CONNECTIONS=6; PIDS+=("$SERVER_PID")
port_b=$(free_port); start_server "$pooled" "$port_b" "${POOLER_ENV[@]}" SILOSCOPE_DB_MAX_CONNECTIONS=6; PIDS+=("$SERVER_PID")

python3 - "$port_a" "$port_b" "$north" "$south" <<'EOF'
import json, sys, threading, urllib.request

port_a, port_b, tokens = sys.argv[1], sys.argv[2], {"north": sys.argv[3], "south": sys.argv[4]}
failures = []

def gql(port, org, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {tokens[org]}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise RuntimeError(f"{org} on {port}: {answer['errors']}")
    return answer["data"]

for org in tokens:
    for name, cx in [("Sales", False), ("CX", True)]:
        data = gql(port_a, org, "mutation($n: String!, $c: Boolean!) { createFunction(input: {name: $n, isCxTeam: $c}) { userErrors { message } } }",
                   {"n": f"{org}-{name}", "c": cx})
        assert data["createFunction"]["userErrors"] == [], data

BATCHES, PER_BATCH = 25, 40
def writer(org, port):
    try:
        for b in range(BATCHES):
            items = []
            for i in range(PER_BATCH):
                case = f"{org}-C{b}-{i // 4}"
                items.append({"externalId": f"{org}-{b}-{i}", "caseRef": case,
                              "occurredAt": f"2026-03-01T10:{b:02d}:{i:02d}Z",
                              "function": {"name": f"{org}-{'CX' if i % 2 else 'Sales'}"}})
            data = gql(port, org, "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded userErrors { message } } }", {"i": items})
            assert data["recordInteractions"]["userErrors"] == [], data
    except Exception as error:
        failures.append(f"writer {org}: {error}")

def reader(org, port, rounds=60):
    try:
        for _ in range(rounds):
            data = gql(port, org, "{ functions(first: 100) { nodes { name } } siloReport { totals { interactions } } viewer { organization { slug } } }")
            names = {n["name"] for n in data["functions"]["nodes"]}
            if not names or any(not n.startswith(org + "-") for n in names):
                failures.append(f"{org} saw functions {sorted(names)}")
            if data["viewer"]["organization"]["slug"] != org:
                failures.append(f"{org} saw organization {data['viewer']['organization']}")
    except Exception as error:
        failures.append(f"reader {org}: {error}")

threads = [threading.Thread(target=writer, args=("north", port_a)),
           threading.Thread(target=writer, args=("south", port_b)),
           threading.Thread(target=reader, args=("north", port_b)),
           threading.Thread(target=reader, args=("south", port_a)),
           threading.Thread(target=reader, args=("north", port_a)),
           threading.Thread(target=reader, args=("south", port_b))]
for t in threads: t.start()
for t in threads: t.join()
for org in tokens:
    for port in (port_a, port_b):
        total = gql(port, org, "{ siloReport { totals { interactions handoffs } } }")["siloReport"]["totals"]
        if total["interactions"] != BATCHES * PER_BATCH:
            failures.append(f"{org} on {port}: {total['interactions']} interactions, expected {BATCHES * PER_BATCH}")
if failures:
    print("FAILED:"); [print(" ", f) for f in failures[:20]]; sys.exit(1)
print(f"two organizations, two replicas, one pooler: {2 * BATCHES} batches recorded and {4 * 60} reads, nothing crossed")
EOF

psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
echo "pooler check passed"
