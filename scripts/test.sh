#!/usr/bin/env bash
# Runs every test with the race detector. Tests that need PostgreSQL use the server
# PAYMIX_TEST_PG_URL names, or one this script starts (scripts/test-postgres.sh) and
# stops. Tests read the real Levels.fyi export from shared/data/ beside the repository
# (or where PAYMIX_SHARED_DATA says) and skip those parts, saying so, where it is
# absent; with CI=true they fail instead (internal/shareddata).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PAYMIX_TEST_PG_URL:-}" ]; then
  source scripts/test-postgres.sh
  trap stop_test_postgres EXIT
fi
# The README test runs every block of the README, this command among them: nested in
# it, the command builds every test and runs none, so the suite does not run twice.
if [ -n "${PAYMIX_README_NESTED:-}" ]; then
  set -- -run '^$' "$@"
fi
go test -race -count=1 "$@" ./...
