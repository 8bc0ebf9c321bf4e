#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at PostgreSQL.
# If DATABASE_URL already names a PostgreSQL server, use it. Otherwise start a throwaway
# cluster on loopback (port 54329 unless PGTEST_PORT says otherwise), run the command, and
# stop the cluster. Needs the PostgreSQL server binaries (Debian: postgresql); .ci/run
# installs them. Outside CI, a machine without them skips with a clear message.
set -euo pipefail

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  exec "$@"
fi

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
  [[ -x "$dir/initdb" ]] && pg_bin="$dir"
done
if [[ -z "$pg_bin" ]]; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "PostgreSQL server binaries not found; .ci/run should have installed them" >&2
    exit 1
  fi
  echo "SKIPPED: PostgreSQL suite (no PostgreSQL server installed; apt-get install postgresql)" >&2
  exit 0
fi

port="${PGTEST_PORT:-54329}"
datadir="$(mktemp -d /tmp/pathways-pg.XXXXXX)"
run_as=()
if [[ "$(id -u)" == "0" ]]; then
  chown postgres:postgres "$datadir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$datadir" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT

"${run_as[@]}" "$pg_bin/initdb" -D "$datadir" -U pathways --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$pg_bin/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w \
  -o "-h 127.0.0.1 -p $port -k $datadir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U pathways pathways

export DATABASE_URL="postgres://pathways@127.0.0.1:$port/pathways"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$@"
