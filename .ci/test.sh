#!/usr/bin/env bash
# The whole test suite (the README's test command). Each area has its own script so it can also run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
for area in gateway conformance cdk delivery; do
  script=".ci/test-$area.sh"
  [ -f "$script" ] || continue
  echo "==> $area"
  bash "$script"
done
echo "==> all tests passed"
