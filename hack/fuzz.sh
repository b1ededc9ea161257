#!/usr/bin/env bash
# Runs one fuzz target for a bounded time.
#
# Usage: hack/fuzz.sh PACKAGE NAME FUZZTIME
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" just as -fuzztime ends, when a worker is still busy on
# a loaded machine (golang/go#75804, fixed in Go 1.27). That report names no
# input and writes none, so it is retried once. Any other failure, and any
# failure that wrote a failing input to testdata/fuzz/NAME/, fails at once.
set -euo pipefail
pkg=$1 name=$2 fuzztime=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {
  go test -run XXX -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s -parallel 1 "$pkg" 2>&1 | tee "$out"
  return "${PIPESTATUS[0]}"
}

coordinator_race() {
  grep -q '^    context deadline exceeded$' "$out" && ! grep -q 'Failing input written to' "$out"
}

run && exit 0
if coordinator_race; then
  echo "fuzz: $name: 'context deadline exceeded' with no failing input (golang/go#75804); running it once more"
  run && exit 0
fi
exit 1
