package io.bitnet4j.spark;

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
 * executor (a Model is thread-safe). Sessions are pooled, since a session's KV cache is the largest
 * per-row allocation: a task borrows one per row in flight and gives it back reset.
 */
final class ExecutorModel {
    private static final ConcurrentHashMap<ModelSource, ExecutorModel> LOADED = new ConcurrentHashMap<>();

    final Model model;
    final Tokenizer tokenizer;
    final int contextLength;
    private final ConcurrentLinkedQueue<Session> idle = new ConcurrentLinkedQueue<>();

    private ExecutorModel(Model model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        Session first = model.newSession();
        this.contextLength = first.contextLength();
        idle.add(first);
    }

    /** This JVM's model for source, loading it on first use (concurrent first users wait for one load). */
    static ExecutorModel of(ModelSource source) {
        return LOADED.computeIfAbsent(source, ExecutorModel::load);
    }

    private static ExecutorModel load(ModelSource source) {
        Path file = source.locate();
        Model model = null;
        try {
            model = Model.load(file, source.modelOptions());
            return new ExecutorModel(model, GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null));
        } catch (IOException e) {
            if (model != null) model.close();
            throw new UncheckedIOException("bitnet4j-spark: cannot load the model " + file + ": " + e.getMessage(), e);
        }
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
