package io.bitnet4j.spark;

import io.bitnet4j.model.BatchDecoder;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Continuous batching of generations: up to batchSize rows decode together, one token each per pass over the
 * weights (decoding reads every weight once per pass, so several rows cost little more than one). A row joins
 * as soon as there is room (its prompt evaluated alone) and leaves as soon as it is done, handing its
 * {@link Completion} to the callback with the caller's ticket.
 *
 * @param <T> what the caller attaches to a row (e.g. the input Row)
 */
final class ContinuousBatch<T> implements AutoCloseable {
    private final ExecutorModel executor;
    private final GenerateOptions options;
    private final BiConsumer<T, Completion> finished;
    private final List<RowGeneration> active = new ArrayList<>();
    private final List<T> tickets = new ArrayList<>();
    private final List<Session> sessions = new ArrayList<>();
    private BatchDecoder decoder; // made when two rows first decode together

    ContinuousBatch(ExecutorModel executor, GenerateOptions options, BiConsumer<T, Completion> finished) {
        this.executor = executor;
        this.options = options;
        this.finished = finished;
    }

    boolean hasRoom() {
        return active.size() < options.batchSize();
    }

    boolean isEmpty() {
        return active.isEmpty();
    }

    /**
     * Starts completing prompt (key seeds the sampler). A row that cannot start (null, empty or too long prompt)
     * or that ends on its first token is reported at once.
     */
    void start(T ticket, String prompt, String key) {
        String problem = prompt == null ? "prompt is null" : null;
        int[] ids = problem == null ? executor.tokenizer.encodeWithBos(prompt, false) : null;
        if (problem == null) problem = checkLength(ids.length);
        if (problem != null) {
            finished.accept(ticket, Completion.failed(problem));
            return;
        }
        Session session = executor.borrowSession();
        RowGeneration row;
        try {
            var sampler = SamplerChain.from(options.samplingFor(key), executor.tokenizer.vocabSize());
            row = new RowGeneration(session, executor.tokenizer, sampler, ids, options.maxTokens(), options.stopStrings());
        } catch (RuntimeException e) { // this row's data, not the job: the row gets the message
            executor.returnSession(session);
            finished.accept(ticket, Completion.failed(e.getMessage()));
            return;
        }
        if (row.done()) {
            executor.returnSession(session);
            finished.accept(ticket, row.result());
        } else {
            active.add(row);
            tickets.add(ticket);
        }
    }

    private String checkLength(int promptTokens) {
        if (promptTokens == 0) return "prompt is empty (and the model adds no BOS token)";
        if (promptTokens > executor.contextLength)
            return "prompt is " + promptTokens + " tokens; the context holds " + executor.contextLength + " (ModelSource.withContextLength)";
        return null;
    }

    /** One decode step for every active row; rows that end leave the batch. */
    void step() {
        int n = active.size();
        if (n == 0) return;
        if (n == 1) {
            RowGeneration row = active.get(0);
            row.acceptOrFail(row.session().decode(row.nextToken()));
        } else {
            float[][] logits = decoder().step(sessionsOfActive(), tokensOfActive());
            for (int i = 0; i < n; i++) active.get(i).acceptOrFail(logits[i]);
        }
        for (int i = n - 1; i >= 0; i--) {
            RowGeneration row = active.get(i);
            if (!row.done()) continue;
            active.remove(i);
            T ticket = tickets.remove(i);
            executor.returnSession(row.session());
            finished.accept(ticket, row.result());
        }
    }

    private BatchDecoder decoder() {
        if (decoder == null) decoder = executor.model.newBatchDecoder(options.batchSize());
        return decoder;
    }

    private List<Session> sessionsOfActive() {
        sessions.clear();
        for (RowGeneration row : active) sessions.add(row.session());
        return sessions;
    }

    private int[] tokensOfActive() {
        int[] t = new int[active.size()];
        for (int i = 0; i < t.length; i++) t[i] = active.get(i).nextToken();
        return t;
    }

    /** Gives the sessions of unfinished rows back (a task that stops early) and frees the decoder. */
    @Override
    public void close() {
        for (RowGeneration row : active) executor.returnSession(row.session());
        active.clear();
        tickets.clear();
        if (decoder != null) decoder.close();
        decoder = null;
    }
}
