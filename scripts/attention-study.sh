#!/usr/bin/env bash
# Attention, one KV head of 2B4T, one thread: the Java route of Attention.run against the runtime's OpenBLAS route
# (BlasAttention, two sgemm calls per chunk of tokens), 512-4096 positions, batches of 64 and 512 tokens by default;
# where BlasAttention's crossover comes from (docs/performance.md has the figures).
# Usage: scripts/attention-study.sh [extra JMH args, e.g. -bm sample -p batch=1,8,16,32 -p positions=128,256,512]
# Results JSON: bitnet4j-core/target/jmh-attention.json
set -euo pipefail
cd "$(dirname "$0")/../bitnet4j-core"
source ../scripts/jmh-classpath.sh
# BlasAttention sets OpenBLAS to one thread itself (the pass's own pool splits the KV heads); the variable only
# keeps OpenBLAS from starting a pool of idle threads at load.
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 java $flags -cp "$cp" org.openjdk.jmh.Main AttentionStudyBench -rf json -rff target/jmh-attention.json "$@"
