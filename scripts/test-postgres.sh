#!/usr/bin/env bash
# Run the suite on PostgreSQL: a throwaway cluster on a loopback port, started and stopped here.
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL server binaries not found (install the 'postgresql' Debian package)" >&2
  exit 1
fi
PGPORT=${PGPORT:-55432}
PGDATA=$(mktemp -d /tmp/jm-pg.XXXXXX)
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA"; fi
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$PGDATA" -U jm --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U jm jm_test
export TEST_DATABASE_URL="postgresql://jm@127.0.0.1:$PGPORT/jm_test"
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT"
if [ $# -eq 0 ]; then set -- tests; fi
.venv/bin/python -m pytest -q -m "not browser" "$@"
