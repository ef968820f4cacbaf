#!/usr/bin/env bash
# Scale benchmark of paymixd (scripts/benchscale): markets of 62k (the shared export),
# 1M and 10M rows resampled from it on SQLite, then the first and largest on two
# replicas sharing a throw-away PostgreSQL (unless PAYMIX_TEST_PG_URL names one, or
# -pg "" turns it off). Takes about 15 minutes at 10M rows on 2 cores.
#
#   scripts/bench-scale.sh -sizes 62k,1M,10M
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PAYMIX_TEST_PG_URL:-}" ]; then
  source scripts/test-postgres.sh
  trap stop_test_postgres EXIT
fi
go run ./scripts/benchscale -pg "$PAYMIX_TEST_PG_URL" "$@"
