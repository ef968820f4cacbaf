#!/usr/bin/env bash
# Regenerates gen/ from proto/: links the pinned imports, lints, checks formatting,
# then runs the plugins pinned in go.mod. The first run builds buf (a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/protodeps.sh
buf() { go tool -modfile=tools/go.mod buf "$@"; }
buf lint
buf format -d --exit-code
rm -rf gen
buf generate
