#!/usr/bin/env bash
# The library as a user gets it: examples/consumer depends only on bitnet4j-core + bitnet4j-platform, resolved from
# the local Maven repository (run after `mvn install -Djavacpp.platform=...`). Checks that
#  1. the consumer's whole dependency tree is bitnet4j and JavaCPP only (no picocli, HTTP or JSON library);
#  2. the README's Java example is the consumer's code, letter for letter;
#  3. it generates text with the native jar (native kernels), and the same greedy text without it (Vector API).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh >/dev/null
platform=$(bash scripts/platform.sh)
version=$(sed -n "s:.*<revision>\(.*\)</revision>.*:\1:p" pom.xml | head -1)
consumer=examples/consumer
mvnc() { mvn -B -ntp -q -f "$consumer/pom.xml" -Dbitnet4j.version="$version" -Djavacpp.platform="$platform" "$@"; }
fail() { echo "check-consumer: $*" >&2; exit 1; }

echo "== consumer: bitnet4j $version ($platform) from the local repository"
mvnc package
mvnc dependency:list -DoutputFile=target/deps.txt -DexcludeTransitive=false >/dev/null
deps=$(grep -E '^ +[a-z]' "$consumer/target/deps.txt" | sed -E 's/^ +//; s/ -- .*//' | sort)
echo "$deps" | sed 's/^/   /'
others=$(echo "$deps" | grep -v -E '^(io\.bitnet4j|org\.bytedeco):' || true)
[ -z "$others" ] || fail "bitnet4j-core + platform pull more than bitnet4j and JavaCPP: $others"

readme_block=$(awk '/^```java$/{on=1; next} /^```$/{on=0} on' README.md)
code_block=$(awk '/README begin/{on=1; next} /README end/{on=0} on' "$consumer/src/main/java/example/Generate.java" | sed -E 's/^        //')
[[ -n "$code_block" && "$readme_block" == *"$code_block"* ]] || fail "README's Java example differs from $consumer/src/main/java/example/Generate.java"

mvnc dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
cp_all="$consumer/target/classes:$(cat "$consumer/target/classpath.txt")"
cp_pure=$(tr ':' '\n' <<<"$cp_all" | grep -v -- "-$platform\.jar$" | paste -sd:)
[ "$cp_all" != "$cp_pure" ] || fail "no $platform native jar on the consumer's class path"
model=models/bitnet-kjv-4m.gguf
run() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$1" example.Generate "$model"; }
native_text=$(run "$cp_all" 2>"$consumer/target/native.err") || { cat "$consumer/target/native.err"; fail "native run failed"; }
pure_text=$(run "$cp_pure" 2>"$consumer/target/pure.err") || { cat "$consumer/target/pure.err"; fail "run without the native jar failed"; }
echo "   with the native jar:    $native_text"
echo "   without (Vector API):   $pure_text"
grep -q "Vector API" "$consumer/target/pure.err" || { cat "$consumer/target/pure.err"; fail "no line says the Vector API backend was chosen"; }
[ -n "$native_text" ] || fail "the native run generated nothing"
[ "$native_text" = "$pure_text" ] || fail "greedy text differs between the native and the Vector API backends"
echo "== consumer: ok (same greedy text with and without the native jar)"
