#!/usr/bin/env bash
# Checks that proto/ does not break the API contract of the commit named in
# proto/BREAKING_BASELINE, under the breaking rules buf.yaml gives the proto module.
# `buf breaking --against .git#ref` cannot see the git-ignored third_party/ imports,
# so the baseline is checked out in a temporary git worktree, its own
# scripts/protodeps.sh links its imports, and buf builds its proto module into an
# image that the working tree's proto/ is compared against. Fails (never skips) when
# the baseline is missing, malformed, or not in this clone (a shallow clone).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fail() {
  echo "buf-breaking: $*" >&2
  exit 1
}
# The working tree's buf, for both trees: one version, built once.
buf() { go tool -modfile="$root/tools/go.mod" buf "$@"; }

file=proto/BREAKING_BASELINE
[ -f "$file" ] || fail "$file is missing: it names the commit the contract is checked against"
lines=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$file" | tr -d '[:blank:]\r') || true
[ -n "$lines" ] || fail "$file names no commit (every line is empty or a comment)"
[ "$(wc -l <<<"$lines")" -eq 1 ] || fail "$file must name one commit, it has: $(tr '\n' ' ' <<<"$lines")"
baseline=$lines
[[ "$baseline" =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]] ||
  fail "$file: '$baseline' is not a full commit hash (git rev-parse <commit>)"
git cat-file -e "$baseline^{commit}" 2>/dev/null ||
  fail "baseline commit $baseline (from $file) is not in this clone; a shallow clone needs its history (git fetch --unshallow, or a full clone)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/paymix-buf-breaking.XXXXXX")
tree="$tmp/baseline"
cleanup() {
  git worktree remove --force "$tree" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  git worktree prune
}
trap cleanup EXIT

echo "buf-breaking: proto/ against $(git log -1 --format='%h (%cs) %s' "$baseline" | cut -c1-100)" >&2
git worktree add --detach --quiet "$tree" "$baseline"
[ -x "$tree/scripts/protodeps.sh" ] ||
  fail "baseline $baseline has no scripts/protodeps.sh to link its imports: name a later commit in $file"
[ -d "$tree/proto" ] || fail "baseline $baseline has no proto/ folder"
"$tree/scripts/protodeps.sh"
(cd "$tree" && buf build proto -o "$tmp/baseline.binpb")

# The working tree: its own imports, and its buf.yaml (found from the repository root;
# `proto` targets that module, so the third_party module is not compared).
scripts/protodeps.sh
# msvs: each line names the rule it breaks (what buf.yaml's ignore_only takes).
rc=0
buf breaking proto --exclude-imports --against "$tmp/baseline.binpb" --error-format=msvs || rc=$?
if [ "$rc" -eq 100 ]; then
  echo "buf-breaking: proto/ breaks the contract of $baseline (above);" \
    "for a deliberate break see README, \"Development\"" >&2
fi
[ "$rc" -eq 0 ] || exit "$rc"
echo "buf-breaking: no breaking change against ${baseline:0:12}" >&2
