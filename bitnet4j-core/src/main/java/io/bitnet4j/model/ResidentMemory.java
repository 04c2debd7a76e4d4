package io.bitnet4j.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a loaded model's process memory goes, in bytes ({@link Model#memory()}). The first five are counted from
 * what the model holds; {@code other} is the rest of the process's resident set (JVM code, metaspace, thread
 * stacks, the passes' activation buffers, the native library, the allocator's slack).
 *
 * @param weights    the tensors in memory but the F16 table: ternary matrices, norms (and repacked copies for a
 *                   lookup-table kernel); with --mmap the mapped bytes, resident as they are touched
 * @param f16Table   the F16 embedding table (also the tied output projection) in memory; 0 in low-memory mode
 * @param outputCopy the int8 / 4-bit copy of the output projection, 0 without one
 * @param kvCache    the KV cache blocks of the model's open sessions (they live in the JVM heap)
 * @param jvmHeap    the JVM heap in use (live objects and garbage not yet collected), less the KV cache in it
 * @param other      resident minus all of the above (never negative); -1 where the resident size is unknown
 * @param resident   VmRSS now, -1 where unknown
 * @param peak       VmHWM, the peak resident size so far, -1 where unknown
 */
public record ResidentMemory(long weights, long f16Table, long outputCopy, long kvCache, long jvmHeap, long other,
        long resident, long peak) {

    /** Labelled sizes in MiB, in the order above, for reports. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("weights", mib(weights));
        m.put("f16 table", mib(f16Table));
        m.put("output copy", mib(outputCopy));
        m.put("kv cache", mib(kvCache));
        m.put("jvm heap", mib(jvmHeap));
        m.put("other", other < 0 ? "unknown" : mib(other));
        m.put("resident", resident < 0 ? "unknown" : mib(resident));
        m.put("peak resident", peak < 0 ? "unknown" : mib(peak));
        return m;
    }

    /** One line: "resident 812.3 MiB = weights 480.1 + f16 table 0.0 + ...". */
    public String line() {
        return String.format(Locale.ROOT, "resident %s = weights %.1f + f16 table %.1f + output copy %.1f + kv cache %.1f + jvm heap %.1f + other %s MiB (peak %s)",
                resident < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f", resident / 1048576.0), weights / 1048576.0, f16Table / 1048576.0,
                outputCopy / 1048576.0, kvCache / 1048576.0, jvmHeap / 1048576.0,
                other < 0 ? "?" : String.format(Locale.ROOT, "%.1f", other / 1048576.0), peak < 0 ? "unknown" : mib(peak));
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
