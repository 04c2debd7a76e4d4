#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer, time-boxed: scripts/fuzz.sh [total-seconds] (default 60), split evenly
# over the fuzz targets. Jazzer fuzzes one @FuzzTest per JVM, so each target is its own Maven run (the
# native build is skipped: no target calls native code). A finding fails the run; Jazzer saves the input as
# bitnet4j-core/src/test/resources/io/bitnet4j/fuzz/<Class>Inputs/<method>/crash-*, where every normal `mvn test` replays
# it (regression mode): fix the bug and commit the input as a regression test. The growing corpus stays in
# .cifuzz-corpus/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh >/dev/null
total=${1:-60}
targets=(
  "GgufFuzzTest#openAndReadEverything"
  "TokenizerFuzzTest#encodeDecodeRoundTrip"
  "TokenizerFuzzTest#streamingDecodeEqualsWholeDecode"
)
each=$(( total / ${#targets[@]} ))
[ "$each" -ge 1 ] || each=1
failed=()
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${each}s"
  log=$(mktemp)
  if JAZZER_FUZZ=1 mvn -B -ntp -q test -pl bitnet4j-core -am -Dnative.skip=true -Dctest.skip=true -Dtest="$t" -Djazzer.max_duration="${each}s" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
    grep -E "^Done [0-9]+ runs|DONE " "$log" | tail -1 || true
  else
    failed+=("$t")
    grep -E "== Java Exception|FuzzerSecurityIssue|crash-|Caused by|Exception" "$log" | head -20 || true
    echo "   (full log: $log)"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "== fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "== fuzzing: no findings"
