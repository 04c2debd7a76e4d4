package io.bitnet4j.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Where a forward pass spends its time: wall time and weight bytes read per stage, summed over the passes of one
 * session or batch decoder since it began or was {@linkplain #reset() reset}. {@code bench --profile} prints it.
 * Always on: one clock read per stage, ~20 per layer, costs ~15 µs of a 2B4T decode step's ~40 ms. Written only by
 * the thread running the passes (they are serialized); a snapshot taken meanwhile from another thread may lag.
 */
public final class StageTimes {

    /** The stages of {@link Forward#run}, in the order a token meets them. */
    public enum Stage {
        EMBEDDING("embedding rows", false),
        NORMS("RMSNorms, scales, residual adds", false),
        QUANTIZE("activation quantization to int8", false),
        QKV("Q, K, V projections", true),
        ROPE_AND_CACHE("RoPE, KV cache stores", false),
        ATTENTION("attention", false),
        ATTENTION_OUTPUT("attention output projection", true),
        GATE_UP("gate and up projections", true),
        ACTIVATION("gate and up scales, activation(gate) x up, FFN sub-norm", false),
        DOWN("down projection", true),
        OUTPUT("output projection", true),
        RESCORE("F16 rescoring of the best rows", false);

        private final String description;
        private final boolean matrix;

        Stage(String description, boolean matrix) {
            this.description = description;
            this.matrix = matrix;
        }

        public String description() {
            return description;
        }

        /** A weight-matrix product: its weight bytes count towards the matrix stages' bandwidth. */
        public boolean matrix() {
            return matrix;
        }
    }

    /**
     * The totals at one moment: nanoseconds and weight bytes per stage, passes run, tokens they carried, and the
     * parallel regions they issued (each a hand-off to the worker threads and back).
     */
    public record Snapshot(Map<Stage, Long> nanos, Map<Stage, Long> bytes, long passes, long tokens, long regions) {
        public long totalNanos() {
            return nanos.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final long[] nanos = new long[Stage.values().length];
    private final long[] bytes = new long[Stage.values().length];
    private long passes, tokens, regions;

    StageTimes() {}

    /** Adds the time since {@code since} to the stage; returns now, the start of the next stage. */
    long lap(Stage stage, long since) {
        long now = System.nanoTime();
        nanos[stage.ordinal()] += now - since;
        return now;
    }

    void addBytes(Stage stage, long n) {
        bytes[stage.ordinal()] += n;
    }

    void addPass(int tokenCount) {
        passes++;
        tokens += tokenCount;
    }

    void addRegion() {
        regions++;
    }

    public Snapshot snapshot() {
        Map<Stage, Long> n = new EnumMap<>(Stage.class), b = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            n.put(s, nanos[s.ordinal()]);
            b.put(s, bytes[s.ordinal()]);
        }
        return new Snapshot(Collections.unmodifiableMap(n), Collections.unmodifiableMap(b), passes, tokens, regions);
    }

    public void reset() {
        Arrays.fill(nanos, 0);
        Arrays.fill(bytes, 0);
        passes = tokens = regions = 0;
    }
}
