#!/usr/bin/env bash
# Cross-builds the native library and tests for Linux/aarch64 and runs the tests under qemu twice:
#   QEMU_CPU=cortex-a53  no dotprod: the neon path is tested, neon-dotprod must report SKIP
#                        (qemu raises SIGILL on sdot there, so a wrong dispatch would crash the run);
#   QEMU_CPU=cortex-a76  dotprod present: both neon and neon-dotprod are tested.
# qemu timings mean nothing; only correctness is checked.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}"
fi

build=bitnet4j-native/target/cmake-aarch64
cmake -S bitnet4j-native -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/bitnet4j-native/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DB4J_BUILD_TESTS=ON
cmake --build "$build" --parallel 2

status=0
run() {  # run <qemu cpu> <isa that must be tested> <isa that must be skipped or "">
  local cpu=$1 want=$2 skip=$3 log
  log="$build/ctest-$cpu.log"
  echo "== native tests under qemu-aarch64, QEMU_CPU=$cpu"
  if ! QEMU_CPU=$cpu ctest --test-dir "$build" --output-on-failure -V >"$log" 2>&1; then
    cat "$log"; echo "FAILED: ctest under QEMU_CPU=$cpu"; status=1; return
  fi
  grep -E '^[0-9]+: (TEST |SKIP |SUMMARY|bitnet4j |conversions|  [a-z0-9_]+: |  packed bytes)' "$log" | sed -E 's/^[0-9]+: //'
  for isa in $want; do
    grep -q "TEST $isa vs scalar" "$log" || { echo "FAILED: $isa was not tested under $cpu"; status=1; }
    grep -q "TEST lut tl1 $isa vs i2s scalar" "$log" || { echo "FAILED: tl1 on $isa was not tested under $cpu"; status=1; }
  done
  for isa in $skip; do
    grep -q "SKIP $isa: not supported by this CPU" "$log" || { echo "FAILED: $isa was not skipped under $cpu"; status=1; }
    grep -q "SKIP lut tl1 $isa: not supported by this CPU" "$log" || { echo "FAILED: tl1 on $isa was not skipped under $cpu"; status=1; }
  done
}
run cortex-a53 "neon" "neon-dotprod"
run cortex-a76 "neon neon-dotprod" ""
[ $status = 0 ] && echo "== aarch64: all native tests passed (cortex-a53 and cortex-a76)"
exit $status
