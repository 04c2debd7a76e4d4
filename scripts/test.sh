#!/usr/bin/env bash
# Runs every test: the native kernel tests (ctest) and the JUnit tests of every module through Maven, the
# consumer project (examples/consumer: the README's Java snippet against the installed artifacts, with and
# without the native jar), the kernel tests under ASan+UBSan (scripts/sanitize.sh), a minute of fuzzing, then
# the aarch64 cross build with its native tests under qemu (with and without dotprod). --no-cross skips that.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
cross=1
for a in "$@"; do [ "$a" = --no-cross ] && cross=0; done
echo "== JDK: $JAVA_HOME"
platform=$(bash scripts/platform.sh)
# install (not only verify): the consumer project resolves the artifacts from the local repository
mvn -B -ntp install -Djavacpp.platform="$platform"
bash scripts/check-consumer.sh
# The native kernels again under ASan+UBSan (about a minute on 2 cores).
bash scripts/sanitize.sh
# Coverage-guided fuzzing (Jazzer), 60 s over all targets; regression inputs already ran in mvn verify.
bash scripts/fuzz.sh 60
if [ $cross = 1 ]; then
  bash scripts/cross-aarch64.sh
fi
