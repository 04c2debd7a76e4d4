#!/usr/bin/env bash
# Runs every test: the native kernel tests (ctest) and the JUnit tests through Maven, the kernel tests under
# ASan+UBSan (scripts/sanitize.sh), then the aarch64
# cross build with its native tests under qemu (both with and without dotprod). Pass --no-cross to skip that.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
cross=1
for a in "$@"; do [ "$a" = --no-cross ] && cross=0; done
echo "== JDK: $JAVA_HOME"
mvn -B -ntp verify
# The native kernels again under ASan+UBSan (about a minute on 2 cores).
bash scripts/sanitize.sh
# Coverage-guided fuzzing (Jazzer), 60 s over all targets; regression inputs already ran in mvn verify.
bash scripts/fuzz.sh 60
if [ $cross = 1 ]; then
  bash scripts/cross-aarch64.sh
fi
