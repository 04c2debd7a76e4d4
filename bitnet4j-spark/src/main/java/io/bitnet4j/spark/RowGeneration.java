package io.bitnet4j.spark;

import io.bitnet4j.generation.Generator.StopReason;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.tokenizer.StreamingDecoder;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.List;
import java.util.Locale;

/**
 * One prompt being completed, a token per decode step, with {@link io.bitnet4j.generation.Generator}'s rules
 * (same sampling calls, stop conditions and text), so that a row's completion equals the plain Java API's.
 * The decode steps themselves are the caller's: alone or batched with other rows.
 */
final class RowGeneration {
    private final Session session;
    private final Tokenizer tokenizer;
    private final Sampler sampler;
    private final int maxTokens;
    private final List<String> stopStrings;
    private final StreamingDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private final int promptTokens;
    private int generated, next;
    private StopReason finish;
    private String error;

    /** Evaluates the prompt on session (which must be empty) and samples the first token. */
    RowGeneration(Session session, Tokenizer tokenizer, Sampler sampler, int[] prompt, int maxTokens, List<String> stopStrings) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.sampler = sampler;
        this.maxTokens = maxTokens;
        this.stopStrings = stopStrings;
        this.decoder = new StreamingDecoder(tokenizer);
        this.promptTokens = prompt.length;
        for (int t : prompt) sampler.accept(t);
        accept(session.prefill(prompt));
    }

    Session session() {
        return session;
    }

    boolean done() {
        return finish != null || error != null;
    }

    /** The token the next decode step feeds (valid while not done). */
    int nextToken() {
        return next;
    }

    /** Takes the logits after the last fed token: samples, and either ends or sets the next token. */
    void accept(float[] logits) {
        int token = sampler.sample(logits, tokenizer.vocabSize());
        sampler.accept(token);
        generated++;
        if (tokenizer.isEndOfGeneration(token)) {
            end(StopReason.END_OF_GENERATION);
            return;
        }
        text.append(decoder.accept(token));
        int stopAt = firstStop();
        if (stopAt >= 0) {
            text.setLength(stopAt);
            finish = StopReason.STOP_STRING;
        } else if (generated == maxTokens) {
            end(StopReason.MAX_TOKENS);
        } else if (session.position() >= session.contextLength()) {
            end(StopReason.CONTEXT_FULL);
        } else {
            next = token;
        }
    }

    /** Like {@link #accept}, but a failure of this row's sampling (e.g. no usable logit) ends only this row. */
    void acceptOrFail(float[] logits) {
        try {
            accept(logits);
        } catch (RuntimeException e) {
            error = e.getMessage();
        }
    }

    /** Ends with the decoder's held-back bytes flushed into the text (not after a stop string, which cut it). */
    private void end(StopReason reason) {
        text.append(decoder.flush());
        finish = reason;
    }

    /** Index of the earliest complete stop string in the text, or -1. */
    private int firstStop() {
        int best = -1;
        for (String stop : stopStrings) {
            if (stop.isEmpty()) continue;
            int i = text.indexOf(stop);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    Completion result() {
        if (error != null) return Completion.failed(error);
        return new Completion(text.toString(), promptTokens, generated, finish.name().toLowerCase(Locale.ROOT), null);
    }
}
