package io.bitnet4j.spark;

import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The model of one executor JVM: loaded by the first task that needs it, then shared by every task of the
 * executor (a Model is thread-safe). Generation goes through one {@link BatchGenerator} per batch size, so the
 * rows of all the executor's tasks decode together; scoring borrows pooled sessions (a session's KV cache is
 * the largest per-row allocation), given back reset.
 */
final class ExecutorModel {
    /** Requests a generator holds beyond its sessions: each task keeps at most a batch in flight, so never reached. */
    private static final int MAX_QUEUED = 1 << 20;
    private static final ConcurrentHashMap<ExecutorModelSpec, ExecutorModel> LOADED = new ConcurrentHashMap<>();

    final Model model;
    final Tokenizer tokenizer;
    final int contextLength;
    private final ExecutorModelSpec spec;
    private final ConcurrentHashMap<Integer, BatchGenerator> generators = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Session> idle = new ConcurrentLinkedQueue<>();

    private ExecutorModel(ExecutorModelSpec spec, Model model, Tokenizer tokenizer) {
        this.spec = spec;
        this.model = model;
        this.tokenizer = tokenizer;
        Session first = model.newSession();
        this.contextLength = first.contextLength();
        idle.add(first);
    }

    /** This JVM's model for spec, loading it on first use (concurrent first users wait for one load). */
    static ExecutorModel of(ExecutorModelSpec spec) {
        return LOADED.computeIfAbsent(spec, ExecutorModel::load);
    }

    private static ExecutorModel load(ExecutorModelSpec spec) {
        Path file = spec.locate();
        Model model;
        try {
            model = Model.load(file, spec.modelOptions());
        } catch (IOException e) {
            throw new UncheckedIOException("bitnet4j-spark: cannot load the model " + file + ": " + e.getMessage(), e);
        }
        try {
            return new ExecutorModel(spec, model, GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null));
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException("bitnet4j-spark: the tokenizer of " + file + " is unusable: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /** The executor's generator decoding up to {@code batchSize} rows together, started on first use. */
    BatchGenerator generator(int batchSize) {
        return generators.computeIfAbsent(batchSize, n -> BatchGenerator.start(model, tokenizer,
                BatchGenerator.Config.defaults().withParallel(n).withMaxQueued(MAX_QUEUED).withContextLength(spec.contextLength()),
                BatchGenerator.StepObserver.NONE));
    }

    Session borrowSession() {
        Session s = idle.poll();
        return s != null ? s : model.newSession();
    }

    /** Back to the pool, emptied. */
    void returnSession(Session s) {
        s.reset();
        idle.add(s);
    }
}
