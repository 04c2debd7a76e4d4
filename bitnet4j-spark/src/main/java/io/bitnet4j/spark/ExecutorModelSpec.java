package io.bitnet4j.spark;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.ModelConfig;
import io.bitnet4j.model.Numerics;
import io.bitnet4j.tokenizer.GgufTokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * The model every executor loads: where it finds the file and how it runs it. The path is either a file every
 * machine can read at that path (a shared or identically provisioned disk), or the name of a file shipped with the
 * job ({@code spark-submit --files /path/model.gguf}, {@code SparkContext.addFile}), found through
 * {@link SparkFiles}. A model on the Hugging Face Hub ({@code io.bitnet4j.hub.ModelSource}) is resolved to a file
 * on the driver first, then shipped.
 *
 * @param path          the GGUF file, or the file name of a shipped one
 * @param threads       worker threads of each executor's model; 0 = the executor's cores ({@code spark.executor.cores}
 *                      when set, else the processors the JVM sees). Keep executors x threads within the cores.
 * @param contextLength positions of each row's session (prompt and completion together); 0 = the model's, capped at
 *                      4096. Memory: every row decoding at once holds one session's KV cache.
 * @param numerics      {@link Numerics#FAST}, or {@link Numerics#EXACT}: float sums in one fixed order per row,
 *                      so a row's logits are bit-identical however many rows decode with it (see docs/spark.md)
 */
public record ExecutorModelSpec(String path, int threads, int contextLength, Numerics numerics) implements Serializable {

    public ExecutorModelSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(numerics, "numerics");
        if (path.isBlank()) throw new IllegalArgumentException("the model path is empty");
        if (threads < 0 || threads > 1024) throw new IllegalArgumentException("threads must be between 1 and 1024 (0 = the executor's cores), got " + threads);
        if (contextLength < 0) throw new IllegalArgumentException("context length must not be negative, got " + contextLength);
    }

    /** The model at path, with the executor's cores, the model's context and fast numerics. */
    public static ExecutorModelSpec of(String path) {
        return new ExecutorModelSpec(path, 0, 0, Numerics.FAST);
    }

    public ExecutorModelSpec withThreads(int n) {
        return new ExecutorModelSpec(path, n, contextLength, numerics);
    }

    public ExecutorModelSpec withContextLength(int n) {
        return new ExecutorModelSpec(path, threads, n, numerics);
    }

    public ExecutorModelSpec withNumerics(Numerics n) {
        return new ExecutorModelSpec(path, threads, contextLength, n);
    }

    /**
     * The file on this machine: the path itself, else the shipped copy of that file name.
     *
     * @throws IllegalArgumentException naming both places when neither holds the file
     */
    Path locate() {
        Path direct = Path.of(path);
        if (Files.isRegularFile(direct)) return direct;
        Path shipped = shippedCopy();
        if (shipped != null && Files.isRegularFile(shipped)) return shipped;
        throw new IllegalArgumentException("bitnet4j-spark: model file not found: " + direct.toAbsolutePath()
                + (shipped != null ? " (nor shipped with the job: " + shipped + ")" : "")
                + ". Give a path every executor can read, or ship the file with spark-submit --files / SparkContext.addFile and give its name.");
    }

    /** Where SparkFiles keeps a shipped file of this name, or null outside a Spark JVM. */
    private Path shippedCopy() {
        if (SparkEnv.get() == null) return null;
        Path name = Path.of(path).getFileName();
        return name == null ? null : Path.of(SparkFiles.get(name.toString()));
    }

    /**
     * Checks on the driver what would otherwise fail on every executor: the file exists, is a BitNet GGUF with a
     * tokenizer that fits, and holds the context asked for. Reads the header only.
     */
    void checkOnDriver() {
        Path file = locate();
        try (GgufFile gguf = GgufFile.open(file)) {
            ModelConfig config = ModelConfig.fromGguf(gguf);
            GgufTokenizer.validate(gguf, config.vocabSize());
            if (contextLength > config.contextLength())
                throw new IllegalArgumentException("context length " + contextLength + " exceeds the model's " + config.contextLength() + " (" + file + ")");
        } catch (GgufException e) {
            throw new IllegalArgumentException("bitnet4j-spark: " + file + " is not a usable BitNet model: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("bitnet4j-spark: cannot read the model " + file + ": " + e.getMessage(), e);
        }
    }

    /** The load options of an executor's model. */
    Model.Options modelOptions() {
        return Model.Options.builder().threads(threads == 0 ? executorCores() : threads).contextLength(contextLength).numerics(numerics).build();
    }

    /** spark.executor.cores when the job set it, else the processors this JVM may use. */
    private static int executorCores() {
        SparkEnv env = SparkEnv.get();
        int processors = Runtime.getRuntime().availableProcessors();
        return env == null ? processors : Math.max(1, env.conf().getInt("spark.executor.cores", processors));
    }
}
