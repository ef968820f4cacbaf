#!/usr/bin/env bash
# Fetches the imported .proto files as pinned Go modules and links them into the
# git-ignored third_party/ folder that buf.yaml lists as a second module.
# Nothing is copied into the repository; every module is checked against its h1 sum.
set -euo pipefail
cd "$(dirname "$0")/.."

# googleapis has no entry in the checksum database, so its sum is checked here.
export GONOSUMDB=github.com/googleapis/googleapis
export GOFLAGS=-mod=mod

# module@version  h1-sum  folder-inside-module  import-path-prefix  files...
# Only the files our protos import are linked, so buf does not compile the rest.
deps=(
  "github.com/googleapis/googleapis@v0.0.0-20240509000043-25a1a57957d9 h1:eZALe7lHiyNA+NBg0lurR4bF6KUXbV8PMozhByakwTw= . google/api annotations.proto http.proto field_behavior.proto"
  "github.com/bufbuild/protovalidate@v1.2.2 h1:2H/9/Kr97etSRqW3IJjTTb09z+zutkK2GDhDRbOnqr4= proto/protovalidate buf/validate validate.proto"
  "github.com/grpc-ecosystem/grpc-gateway/v2@v2.33.0 h1:5T5Ns3kMpWr+z3s5ZA0e7ljVyWNVNxK76sHPAxi5D1k= . protoc-gen-openapiv2/options annotations.proto openapiv2.proto"
)

rm -rf third_party
mkdir -p third_party
for dep in "${deps[@]}"; do
  read -r mod want root prefix files <<<"$dep"
  json=$(cd /tmp && go mod download -json "$mod")
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
  got=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$json")
  if [ "$got" != "$want" ]; then
    echo "protodeps: $mod has sum $got, want $want" >&2
    exit 1
  fi
  mkdir -p "third_party/$prefix"
  for f in $files; do
    ln -s "$dir/$root/$prefix/$f" "third_party/$prefix/$f"
  done
done
