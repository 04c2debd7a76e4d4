#!/usr/bin/env bash
# bench --dense-baseline and its chart (docs/kernels.md, "Whole layers in bench --dense-baseline"): one layer's
# ternary products against the same shapes as F32 through OpenBLAS, at 1, 8, 32 and 128 tokens, for each thread
# count; the JSON in bitnet4j-cli/target/dense-baseline.json, the chart in docs/dense-baseline.png.
# Usage: scripts/dense-baseline.sh MODEL.gguf [THREADS, e.g. 1,2] [more bench options]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: scripts/dense-baseline.sh MODEL.gguf [THREADS] [bench options]" >&2; exit 2; }
model="$1"
threads="${2:-2}"
shift $(( $# < 2 ? $# : 2 ))
json="$root/bitnet4j-cli/target/dense-baseline.json"
"$root/bitnet4j" bench -m "$model" --dense-baseline -t "$threads" --dense-tokens 1,8,32,128 -o json "$@" > "$json"
cd "$root"
source scripts/find-jdk.sh
# the chart class and its classpath (xchart, Jackson) from the core's test scope; nothing is installed
mvn -B -ntp -q test-compile -pl bitnet4j-core -am
mvn -B -ntp -q dependency:build-classpath -pl bitnet4j-core -am -Dmdep.includeScope=test \
  -Dmdep.outputFile="$root/bitnet4j-core/target/chart-classpath.txt"
cp="bitnet4j-core/target/test-classes:bitnet4j-core/target/classes:$(cat bitnet4j-core/target/chart-classpath.txt)"
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs)), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%d)"
"$JAVA_HOME/bin/java" -Djava.awt.headless=true -cp "$cp" io.bitnet4j.bench.DenseBaselineChart docs/dense-baseline.png \
  "$(basename "$model"): ternary against F32 through OpenBLAS, $machine" "$json"
echo "wrote $json and docs/dense-baseline.png ($machine)"
