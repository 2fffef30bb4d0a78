#!/usr/bin/env bash
# Gateway module: formatting, vet, and every test with the race detector (end-to-end tests run the real SDK against
# the emulator over loopback).
set -euo pipefail
cd "$(dirname "$0")/../gateway"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -race -count=1 ./...
