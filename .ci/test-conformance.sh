#!/usr/bin/env bash
# Conformance: the official openai npm client against the real gateway binary on its built-in Bedrock emulator
# (gateway/conformance/README.md). Needs Go and Node 20+ with npm; npm ci installs only the pinned openai package.
set -euo pipefail
cd "$(dirname "$0")/../gateway/conformance"
export PATH="/usr/local/go/bin:$PATH"
npm ci --no-audit --no-fund
npm test
