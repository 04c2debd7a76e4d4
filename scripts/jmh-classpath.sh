# Sourced by the JMH scripts (kernel-study.sh, bench-kernels.sh, attention-study.sh) from bitnet4j-core: builds the
# core and its test classes (CMake and the JavaCPP build included), then sets $cp (the benchmark classpath) and
# $flags (the JVM flags the core needs). REBUILD=0 skips the build where its output is already there.
source ../scripts/find-jdk.sh
if [ "${REBUILD:-1}" = 1 ] || [ ! -f target/test-classes/META-INF/BenchmarkList ] \
   || ! ls target/classes/io/bitnet4j/kernels/linux-*/ >/dev/null 2>&1; then
  (cd .. && mvn -B -ntp -q -DskipTests install -pl bitnet4j-core -am) && mvn -B -ntp -q -DskipTests test-compile
fi
if [ ! -s target/bench-classpath.txt ] || [ pom.xml -nt target/bench-classpath.txt ]; then
  mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
fi
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
