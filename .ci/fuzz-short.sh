#!/usr/bin/env bash
# Runs every fuzz target in the repository, one after another, for
# FUZZTIME each (default 20s), so a new crash fails the build. The targets
# are found, not listed, so a new one cannot be forgotten.
#
# Go's fuzz coordinator can fail a duration-bound run with a bare "context
# deadline exceeded" when the -fuzztime deadline races a worker that is
# still busy (golang/go#75804: no input crashed, none is written). Such a
# failure is run once more; a real crash prints "Failing input written
# to" and fails at once, as does a second failure of any kind.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg=./$(dirname "${f#./}")
  for fn in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
    for attempt in 1 2; do
      echo "== $fn $pkg"
      if "$GO" test -run '^$' -fuzz "^$fn\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$out"; then
        break
      fi
      if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
        echo "== $fn: the fuzz coordinator's deadline race (golang/go#75804), no failing input; once more"
        continue
      fi
      exit 1
    done
  done
done
