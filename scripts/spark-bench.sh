#!/usr/bin/env bash
# The Spark benchmark (docs/spark.md): rows/s and tokens/s of bitnet4j-spark's generate on a standalone cluster
# started on this machine (a master and 1 or 2 workers on 127.0.0.1), batched vs one row at a time.
#   scripts/spark-bench.sh [--model GGUF | --synthetic] [--rows 256] [--max-tokens 32] [--repeats 3] [--batch 8] [--executors 1,2]
# Builds the reactor's jars first (tests compiled, not run); Spark comes from the Maven artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
cp_file="$PWD/bitnet4j-spark/target/bench.classpath"
echo "spark-bench: building (mvn package, tests skipped)" >&2
mvn -B -ntp -q package dependency:build-classpath -pl bitnet4j-spark -am -DskipTests -Dctest.skip=true \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2
# The JVM flags the poms define: the project's (root pom) and Spark's (bitnet4j-spark/pom.xml).
pom_value() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$2"; }
# The benchmark and its cluster launcher live with the tests (test-classes).
exec "$JAVA_HOME/bin/java" $(pom_value jvm.flags pom.xml) $(pom_value spark.jvm.flags bitnet4j-spark/pom.xml) \
  -Dbitnet4j.home="$PWD" -cp "bitnet4j-spark/target/test-classes:bitnet4j-spark/target/classes:$(cat "$cp_file")" \
  io.bitnet4j.spark.SparkBenchmark "$@"
