#!/usr/bin/env bash
# Gateway module: formatting, vet, every test with the race detector (end-to-end tests run the real SDK against
# the emulator over loopback), then a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/../gateway"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck from the Go module proxy (pinned): unused code, misused APIs, and style slips vet does not catch.
go run honnef.co/go/tools/cmd/staticcheck@v0.7.0 ./...
go test -race -count=1 ./...
fuzztime=${FUZZTIME:-8s}
for target in ./openai:FuzzDecodeChatRequest ./bedrock:FuzzBuildConverse ./server:FuzzSSEWriter; do
  pkg=${target%%:*} name=${target##*:}
  echo "fuzz $name ($fuzztime)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" > /tmp/fuzz-$name.log 2>&1 || { cat /tmp/fuzz-$name.log; exit 1; }
done
# A short soak: mixed load with injected Bedrock faults against the real binaries; fails on any lost or mis-ended
# stream, wrong status, hang or leak.
go run ./cmd/gateway-soak -duration "${SOAK_DURATION:-15s}" -concurrency 50
