package io.bitnet4j.cli;

import io.bitnet4j.model.StageTimes;
import io.bitnet4j.model.StageTimes.Stage;
import java.util.Locale;

/** bench --profile: where the passes of one test spent their time, as a markdown table per pass. */
final class ProfileTable {
    private ProfileTable() {}

    /**
     * @param title what ran (test, threads, kernels)
     * @param emptyRegionNanos the cost of one empty parallel region on the same threads
     */
    static String format(String title, StageTimes.Snapshot p, long emptyRegionNanos) {
        StringBuilder out = new StringBuilder();
        long passes = Math.max(1, p.passes());
        double total = p.totalNanos();
        out.append(String.format(Locale.ROOT, "%n#### profile: %s (%d passes, %.1f tokens per pass)%n%n", title, p.passes(),
                (double) p.tokens() / passes));
        out.append("| stage | ms per pass | share | GB/s read (weights; attention: KV cache) |\n|---|---:|---:|---:|\n");
        for (Stage s : Stage.values()) {
            long nanos = p.nanos().get(s);
            if (nanos == 0) continue;
            long bytes = p.bytes().get(s);
            String rate = bytes > 0 ? String.format(Locale.ROOT, "%.1f", (double) bytes / nanos) : "";
            out.append(String.format(Locale.ROOT, "| %s | %.3f | %.1f %% | %s |%n", s.description(), nanos / 1e6 / passes, 100 * nanos / total, rate));
        }
        long matrixNanos = 0, matrixBytes = 0;
        for (Stage s : Stage.values())
            if (s.matrix()) {
                matrixNanos += p.nanos().get(s);
                matrixBytes += p.bytes().get(s);
            }
        out.append(String.format(Locale.ROOT, "| **all** | **%.3f** | 100 %% | %.1f (matrix stages only) |%n%n", total / 1e6 / passes,
                matrixNanos == 0 ? 0.0 : (double) matrixBytes / matrixNanos));
        double regionsPerPass = (double) p.regions() / passes, handOffMs = regionsPerPass * emptyRegionNanos / 1e6;
        out.append(String.format(Locale.ROOT, "%.0f parallel regions per pass; an empty region takes %.1f µs here, so hand-offs cost about %.2f ms"
                + " per pass (%.1f %%), inside the stages above.%n", regionsPerPass, emptyRegionNanos / 1e3, handOffMs, 100 * handOffMs * 1e6 * passes / total));
        return out.toString();
    }
}
