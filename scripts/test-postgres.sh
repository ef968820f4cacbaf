#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the tests: initdb and pg_ctl in a temporary
# directory, on a free loopback port, as an unprivileged user when run as root (initdb
# refuses root). Installs Debian's postgresql where the server binaries are missing.
# Sourced by scripts/test.sh: it exports PAYMIX_TEST_PG_URL and defines
# stop_test_postgres. Run directly, it leaves the server running and prints the
# exports for a shell: eval "$(scripts/test-postgres.sh)".
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin=$(pg_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "test-postgres: installing postgresql (server binaries missing)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(pg_bin)
fi

as_user=()
os_user=""
if [ "$(id -u)" = 0 ]; then
  os_user=paymixpg
  id "$os_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$os_user"
  as_user=(runuser -u "$os_user" --)
fi

pg_dir=$(mktemp -d /tmp/paymix-pg.XXXXXX)
chmod 755 "$pg_dir"
[ -n "$os_user" ] && chown "$os_user" "$pg_dir"

# A free loopback port: one nothing answers on.
for _ in $(seq 1 50); do
  pg_port=$((20000 + RANDOM % 20000))
  (echo >/dev/tcp/127.0.0.1/$pg_port) 2>/dev/null || break
done

"${as_user[@]}" "$bin/initdb" -D "$pg_dir/data" -U paymix -A trust --no-sync -E UTF8 >"$pg_dir/initdb.log" 2>&1 ||
  { cat "$pg_dir/initdb.log" >&2; exit 1; }
"${as_user[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=300" start >/dev/null ||
  { cat "$pg_dir/server.log" >&2; exit 1; }

stop_test_postgres() {
  "${as_user[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
export PAYMIX_TEST_PG_URL="postgres://paymix@127.0.0.1:$pg_port/postgres?sslmode=disable"
# For tests that run a server of their own (to kill it): the binaries, and the
# unprivileged user to run them as when the tests run as root.
export PAYMIX_TEST_PG_BIN="$bin" PAYMIX_TEST_PG_OS_USER="$os_user"
echo "test-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port" >&2

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "export PAYMIX_TEST_PG_URL='$PAYMIX_TEST_PG_URL'"
  echo "# stop it with stop_test_postgres (or: ${as_user[*]} $bin/pg_ctl -D $pg_dir/data stop)"
  echo "stop_test_postgres() { ${as_user[*]} $bin/pg_ctl -D $pg_dir/data -m immediate stop >/dev/null 2>&1; rm -rf $pg_dir; }"
fi
