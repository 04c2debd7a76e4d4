#!/usr/bin/env bash
# The kernel study (issue 5): JMH over the 2B4T shapes and batch sizes 1, 8, 32, 128 for every kernel this
# CPU runs (scalar Java only at 1 and 8 tokens, native scalar likewise: they take seconds per call beyond),
# one thread, then ../docs/kernels-results.md (table) and ../docs/kernels.png (chart).
# Usage: scripts/kernel-study.sh [extra JMH args]   Results JSON: target/jmh-study.json
set -euo pipefail
cd "$(dirname "$0")/../bitnet4j-core"
source ../scripts/jmh-classpath.sh
# what this CPU runs: the native ISAs it supports, and the lookup-table layout with a SIMD kernel here
native=$(java $flags -cp "$cp" io.bitnet4j.bench.SupportedKernels)
echo "kernels: vector vector-lut $native openblas-f32; java and scalar at 1 and 8 tokens"
# shellcheck disable=SC2086
# openblas-f32: the dense baseline, one OpenBLAS thread like every other kernel here
OPENBLAS_NUM_THREADS=1 java $flags -cp "$cp" org.openjdk.jmh.Main KernelStudyBench -p kernel="vector,vector-lut,$native,openblas-f32" -rf json -rff target/jmh-study-fast.json "$@"
# shellcheck disable=SC2086
java $flags -cp "$cp" org.openjdk.jmh.Main KernelStudyBench -p kernel=java,scalar -p tokens=1,8 -rf json -rff target/jmh-study-slow.json "$@"
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])) + json.load(open(sys.argv[2]))))' \
  target/jmh-study-fast.json target/jmh-study-slow.json > target/jmh-study.json
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, flags: $(grep -o -w 'avx2\|avx512_vnni\|asimddp' /proc/cpuinfo | sort -u | xargs), $(date -u +%Y-%m-%d)"
java $flags -Djava.awt.headless=true -cp "$cp" io.bitnet4j.bench.KernelStudyReport target/jmh-study.json ../docs/kernels-results.md ../docs/kernels.png "$machine"
echo "wrote ../docs/kernels-results.md and ../docs/kernels.png ($machine)"
