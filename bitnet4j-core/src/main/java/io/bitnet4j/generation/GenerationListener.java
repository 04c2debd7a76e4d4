package io.bitnet4j.generation;

/**
 * Receives what a {@link BatchGenerator} produces for one request, in order: tokens and text pieces as they are
 * generated, then exactly one of {@link #onComplete} or {@link #onError}.
 *
 * <p>The methods run on the generator's scheduler thread, between decode steps of every running request: they
 * must return quickly. Hand anything that can block (a socket write, a slow consumer) to another thread, for
 * example through a queue. An exception thrown here cancels this request and is logged; it does not disturb the
 * others.
 */
public interface GenerationListener {

    /** A generated token (end-of-generation tokens included), before its text. */
    default void onToken(int token) {}

    /**
     * Text that is now final, never empty. Bytes of an unfinished UTF-8 character and text that may still start a
     * stop string are held back until decided, so pieces do not line up with tokens. All pieces together equal
     * {@link Completion#text()}, except after a cancellation, which releases no more text.
     */
    default void onText(String piece) {}

    /** The request finished: end of generation, a stop string, the token limit, a full context, or cancelled. */
    default void onComplete(Completion completion) {}

    /**
     * The request failed: {@link GenerationTimeoutException} when its timeout passed, a
     * {@link java.util.concurrent.CancellationException} when the generator was shut down first, or the error the
     * model raised.
     */
    default void onError(RuntimeException error) {}

    /** Ignores everything (use {@link Generation#completion()} for the result). */
    GenerationListener NONE = new GenerationListener() {};
}
