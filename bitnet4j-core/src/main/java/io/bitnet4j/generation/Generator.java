package io.bitnet4j.generation;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.model.ContextOverflowException;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * Token-by-token generation on a {@link Session}: feeds a prompt, samples, streams text pieces to a
 * listener, and stops on end-of-generation tokens, stop strings, the token limit, cancellation or a full
 * context. The session keeps its KV cache afterwards, so a chat can continue from where generation stopped.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("ggml-model-i2_s.gguf"));
 *      Session session = model.newSession()) {
 *     Generator generator = Generator.of(session, SamplerChain.from(SamplingParams.greedyParams()));
 *     generator.generate("The capital of France is", 64, piece -> { System.out.print(piece); return true; });
 * }
 * }</pre>
 */
public final class Generator {

    public enum StopReason { END_OF_GENERATION, MAX_TOKENS, STOP_STRING, CANCELLED, CONTEXT_FULL }

    /** Receives each piece of generated text as soon as it is complete UTF-8; returns false to cancel. */
    @FunctionalInterface
    public interface Listener {
        boolean onText(String piece);

        Listener NONE = piece -> true;
    }

    /**
     * What a generation produced.
     *
     * @param text            the generated text (without a matched stop string)
     * @param tokens          the generated token ids (including a final end-of-generation token, if any); the
     *                        last one has not been fed to the session (continuing means feeding it first)
     * @param promptTokens    tokens evaluated for the prompt
     * @param promptNanos     time spent evaluating the prompt
     * @param generateNanos   time spent generating
     * @param stopReason      why generation ended
     */
    public record Result(String text, int[] tokens, int promptTokens, long promptNanos, long generateNanos, StopReason stopReason) {
        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
        }

        /** Generated tokens per second; the first token is produced by the prompt pass, so it is not counted. */
        public double tokensPerSecond() {
            return generateNanos == 0 || tokens.length < 2 ? 0 : (tokens.length - 1) * 1e9 / generateNanos;
        }
    }

    private final Session session;
    private final Tokenizer tokenizer;
    private final Sampler sampler;
    private final boolean specialTokensInText;

    /** A generator whose text shows control tokens (other than the end of generation) as their text. */
    public Generator(Session session, Tokenizer tokenizer, Sampler sampler) {
        this(session, tokenizer, sampler, true);
    }

    private Generator(Session session, Tokenizer tokenizer, Sampler sampler, boolean specialTokensInText) {
        this.session = java.util.Objects.requireNonNull(session, "session");
        this.tokenizer = java.util.Objects.requireNonNull(tokenizer, "tokenizer");
        this.sampler = java.util.Objects.requireNonNull(sampler, "sampler");
        this.specialTokensInText = specialTokensInText;
    }

    /**
     * This generator with control tokens (headers, reserved tokens...) shown as their text ({@code true}, as
     * llama-cli's {@code --special}) or left out of the text ({@code false}). Their ids are in the result either way.
     */
    public Generator withSpecialTokens(boolean inText) {
        return new Generator(session, tokenizer, sampler, inText);
    }

    /**
     * A generator with the tokenizer stored in the session's model file (checked against the model's vocabulary).
     *
     * @throws GgufException if the file's tokenizer is missing, unsupported or does not fit the model
     */
    public static Generator of(Session session, Sampler sampler) throws GgufException {
        var model = session.model();
        return new Generator(session, GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null), sampler);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Session session() {
        return session;
    }

    /** Encodes {@code prompt} (BOS first when the tokenizer asks for it) and generates up to maxTokens. */
    public Result generate(String prompt, int maxTokens, Listener listener) {
        return generate(tokenizer.encodeWithBos(prompt, false), maxTokens, List.of(), listener);
    }

    /**
     * Evaluates {@code prompt} (ids, BOS included by the caller if wanted) and generates up to maxTokens.
     * Stop strings are matched on the decoded text; text that might be the start of one is held back.
     */
    public Result generate(int[] prompt, int maxTokens, List<String> stopStrings, Listener listener) {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must not be negative, got " + maxTokens);
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token (e.g. BOS) is needed");
        if (session.position() + prompt.length > session.contextLength())
            throw new ContextOverflowException(session.position(), prompt.length, session.contextLength());

        for (int t : prompt) sampler.accept(t);
        long start = System.nanoTime();
        float[] logits = session.prefill(prompt);
        long promptNanos = System.nanoTime() - start;

        OutputText text = new OutputText(tokenizer, stopStrings, specialTokensInText);
        // At most one token per free position plus the one sampled from the last logits can be produced, so a
        // huge maxTokens (e.g. Integer.MAX_VALUE for "until the context is full") must not size the buffer.
        int[] out = new int[Math.max(1, Math.min(maxTokens, session.contextLength() - session.position() + 1))];
        int count = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        OutputText.Verdict verdict = OutputText.Verdict.CONTINUE;
        long genStart = System.nanoTime();
        while (count < maxTokens) {
            int token = sampler.sample(logits, tokenizer.vocabSize());
            sampler.accept(token);
            out[count++] = token;
            verdict = text.accept(token);
            if (verdict != OutputText.Verdict.CONTINUE) {
                reason = stopReason(verdict);
                break;
            }
            String piece = text.release();
            if (!piece.isEmpty() && !listener.onText(piece)) {
                reason = StopReason.CANCELLED;
                break;
            }
            if (count == maxTokens) break;
            if (session.position() >= session.contextLength()) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            logits = session.decode(token);
        }
        if (reason != StopReason.CANCELLED) {
            String rest = text.finish(verdict);
            if (!rest.isEmpty()) listener.onText(rest);
        }
        long genNanos = System.nanoTime() - genStart;
        return new Result(text.text(), Arrays.copyOf(out, count), prompt.length, promptNanos, genNanos, reason);
    }

    /** Why a generation ended, for a token that ended it. */
    static StopReason stopReason(OutputText.Verdict verdict) {
        return switch (verdict) {
            case END_OF_GENERATION -> StopReason.END_OF_GENERATION;
            case STOP_STRING -> StopReason.STOP_STRING;
            case CONTINUE -> throw new IllegalArgumentException("the generation goes on");
        };
    }
}
