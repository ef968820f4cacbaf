#!/usr/bin/env bash
# Load benchmark of paymixd on loopback: builds the base commit (default: the parent
# of HEAD) and the working tree, and measures both in one run (scripts/benchload has
# the scenarios), then three replicas of the working tree on one PostgreSQL (a
# throw-away server unless PAYMIX_TEST_PG_URL names one). Installs wrk and h2load
# (Debian's nghttp2-client) when missing.
#
#   scripts/bench-load.sh -base a8fde7e -duration 5s -rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
if [ -z "${PAYMIX_TEST_PG_URL:-}" ]; then
  source scripts/test-postgres.sh
  trap stop_test_postgres EXIT
fi
go run ./scripts/benchload -pg "$PAYMIX_TEST_PG_URL" "$@"
