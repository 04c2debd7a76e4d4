#!/usr/bin/env bash
# Writes a random-weight GGUF in the exact official BitNet b1.58 2B4T layout (io.bitnet4j.model.SyntheticModel).
#   scripts/make-model.sh --preset 2b4t --out models/synthetic-2b4t.gguf [--arch bitnet-25] [--seed N]
#   scripts/make-model.sh --preset tiny --out models/tiny.gguf --layers 4 --ff 1024
# Run with --help for every option. Builds target/classes first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
if [ ! -f target/classes/io/bitnet4j/model/SyntheticModel.class ]; then
  echo "make-model: building (mvn package, tests and native kernels skipped; the generator is pure Java)" >&2
  mvn -B -ntp -q package -DskipTests -Dnative.skip=true -Dctest.skip=true
fi
# The generator streams tensor data to disk, so 1 GB of heap is plenty even for the 2B4T shape.
exec "$JAVA_HOME/bin/java" -Xmx1g -cp "target/classes:target/lib/*" io.bitnet4j.model.SyntheticModel "$@"
