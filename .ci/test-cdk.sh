#!/usr/bin/env bash
# The CDK app (cdk/): installs what a fresh machine needs, vets, runs the assertions + cdk-nag tests, and synthesizes
# both stacks once through the real CLI and cdk.json (offline: no AWS credentials, no look-ups).
#
# Cost: the first compile of aws-cdk-go is the slow part (about 1.5 min of 2 cores, ~1 GB of Go build cache); later
# runs reuse the cache. The tests run serially on purpose: jsii, which drives the CDK from Go, is not goroutine-safe.
# No -race here: it would compile the 280 MB CDK module a second time for no gain (the app has no concurrency).
set -euo pipefail
cd "$(dirname "$0")/../cdk"
export PATH="/usr/local/go/bin:$PATH"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 # Node 20's end-of-life banner on every jsii start
export CDK_DISABLE_CLI_TELEMETRY=true
export AWS_EC2_METADATA_DISABLED=true # never look for credentials: synth must not need any

step() { printf '  -- %s (%ss)\n' "$1" "$SECONDS"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  step "installing Node.js and npm (jsii and the CDK CLI need them)"
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi

step "npm ci (the pinned aws-cdk CLI)"
npm ci --no-audit --no-fund --loglevel=error

step "go mod download"
go mod download

step "go vet"
go vet ./...

step "go test (serial)"
go test -p 1 -count=1 ./...

step "npx cdk synth, both stacks (offline, through cdk.json)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx cdk synth --quiet --output "$out" -c region=us-east-1 -c githubRepo=example/openwebui-bedrock -c createDeployRole=true
for stack in OpenWebUIBedrockRegistry OpenWebUIBedrockApp; do
  [ -s "$out/$stack.template.json" ] || { echo "no template for $stack" >&2; exit 1; }
done
step "npx cdk synth with a bad context value must fail, naming the key"
if bad=$(npx cdk synth --quiet --output "$out/bad" -c natGateways=five 2>&1); then
  echo "synth accepted natGateways=five" >&2; exit 1
fi
grep -q 'context key "natGateways"' <<<"$bad" || { echo "$bad" >&2; echo "no message naming natGateways" >&2; exit 1; }
step "cdk done"
