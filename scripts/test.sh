#!/usr/bin/env bash
# Runs every test with the race detector. Tests read the real Levels.fyi export from
# ../shared/data/ where it exists and skip those parts, saying so, where it does not.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 "$@" ./...
