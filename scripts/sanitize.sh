#!/usr/bin/env bash
# Builds the native library and its kernel tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option B4J_SANITIZE) into target/cmake-asan and runs them with ctest. Any report aborts the
# test (-fno-sanitize-recover=all plus halt_on_error), so a clean exit means no sanitizer finding.
# Set B4J_TEST_QUICK=1 to trim the shape set (the instrumented build is several times slower).
set -euo pipefail
cd "$(dirname "$0")/.."
build=bitnet4j-native/target/cmake-asan
cmake -S bitnet4j-native -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DB4J_SANITIZE=ON -DB4J_BUILD_TESTS=ON >/dev/null
cmake --build "$build" --parallel "${B4J_JOBS:-2}"  # every test executable ctest knows about
# Guard against a silently uninstrumented build (e.g. a stale cache with the option off): the test
# binary must carry the ASan runtime, or a clean run would prove nothing.
# (Output captured first: with pipefail, `nm | grep -q` fails whenever grep stops reading before nm is done.)
symbols=$(nm -C "$build/test_kernels" 2>/dev/null || true)
libraries=$(ldd "$build/test_kernels" 2>/dev/null || true)
if ! grep -q __asan_init <<<"$symbols" && ! grep -q libasan <<<"$libraries"; then
  echo "sanitize.sh: $build/test_kernels is not built with AddressSanitizer" >&2
  exit 1
fi
# detect_leaks: the tests free what they allocate, so a leak is a bug too.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
ctest --test-dir "$build" --output-on-failure
echo "== sanitizers: clean"
