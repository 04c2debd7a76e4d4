#!/usr/bin/env bash
# JMH GEMV benchmark (one token) of the kernel backends (java scalar, vector API, native at the best ISA) on
# the 2B4T shapes: KernelStudyBench restricted to T = 1 (scripts/kernel-study.sh runs the whole study).
# Usage: scripts/bench-kernels.sh [extra JMH args, e.g. -p kernel=vector,avx2 -wi 3 -i 5 -f 1]
#   another vector width: scripts/bench-kernels.sh -p kernel=vector -jvmArgsAppend -Dbitnet4j.vector.bits=128
# Results: $RESULT (default target/jmh-kernels.json), and a table (µs/op and GB/s of packed weights,
# M*K/4 bytes per op). The machine's other load shows up directly in these wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/../bitnet4j-core"
# builds only when the benchmark classes or the native library are missing (REBUILD=1 forces a build)
REBUILD=${REBUILD:-0} source ../scripts/jmh-classpath.sh
result="${RESULT:-target/jmh-kernels.json}"
# shellcheck disable=SC2086
best=$(java $flags -cp "$cp" io.bitnet4j.bench.SupportedKernels best)
# shellcheck disable=SC2086
java $flags -cp "$cp" org.openjdk.jmh.Main KernelStudyBench -p tokens=1 -p kernel="java,vector,$best" \
  -rf json -rff "$result" "$@"

python3 - "$result" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
table, backends, shapes = {}, [], []
for r in rows:
    p = r["params"]; b, s = p["kernel"], p["shape"]
    m = r["primaryMetric"]
    unit = m["scoreUnit"]
    us = m["score"] * {"us/op": 1.0, "ns/op": 1e-3, "ms/op": 1e3}[unit]
    e = m["scoreError"]  # a number, or the string "NaN" with a single iteration
    err = e * us / m["score"] if m["score"] and isinstance(e, (int, float)) and e == e else 0.0
    table[(b, s)] = (us, err)
    if b not in backends: backends.append(b)
    if s not in shapes: shapes.append(s)
print()
print(f"{'kernel':<8} {'shape (MxK)':<12} {'us/op':>12} {'+-':>9} {'GB/s':>7}")
for b in backends:
    for s in shapes:
        if (b, s) not in table: continue
        us, err = table[(b, s)]
        mm, kk = map(int, s.split("x"))
        gbs = mm * kk / 4 / (us * 1e-6) / 1e9
        print(f"{b:<8} {s:<12} {us:>12.1f} {err:>9.1f} {gbs:>7.2f}")
PY
