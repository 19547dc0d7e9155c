#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL server for the test suite, as a non-root user.
# Usage: scripts/pg.sh start|stop   — prints the admin URL on start.
set -euo pipefail
PGPORT="${BATON_PGPORT:-54329}"
PGDIR="${BATON_PGDIR:-/tmp/baton-pg-$PGPORT}"
BIN="$(dirname "$(command -v pg_ctl 2>/dev/null || echo /usr/lib/postgresql/15/bin/pg_ctl)")"
[ -x "$BIN/pg_ctl" ] || BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$BIN/pg_ctl" ]; then
  echo "PostgreSQL server binaries not found; installing postgresql" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
RUNAS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --create-home postgres
  RUNAS=(runuser -u postgres --)
fi
case "${1:-start}" in
  start)
    if ! "${RUNAS[@]}" "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
      if [ ! -f "$PGDIR/PG_VERSION" ]; then  # a new cluster; an existing one is started as it is
        rm -rf "$PGDIR"; mkdir -p "$PGDIR"
        [ ${#RUNAS[@]} -gt 0 ] && chown postgres "$PGDIR"
        "${RUNAS[@]}" "$BIN/initdb" -D "$PGDIR" -U postgres -A trust --no-sync >/dev/null
      fi
      "${RUNAS[@]}" "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
        -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    echo "postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    "${RUNAS[@]}" "$BIN/pg_ctl" -D "$PGDIR" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
