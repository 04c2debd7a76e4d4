#!/usr/bin/env bash
# Attention in prefill, Vector API (Attention.run) against two OpenBLAS sgemm calls, one KV head of 2B4T, one
# thread, 512-4096 positions, batches of 64 and 512 tokens (issue 18's experiment; docs/performance.md has the figures).
# Usage: scripts/attention-study.sh [extra JMH args]   Results JSON: bitnet4j-core/target/jmh-attention.json
set -euo pipefail
cd "$(dirname "$0")/../bitnet4j-core"
source ../scripts/jmh-classpath.sh
# one OpenBLAS thread, like the Vector API route: the pass's own pool splits the KV heads
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 java $flags -cp "$cp" org.openjdk.jmh.Main AttentionStudyBench -rf json -rff target/jmh-attention.json "$@"
