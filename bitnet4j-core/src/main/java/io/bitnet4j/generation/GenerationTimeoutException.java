package io.bitnet4j.generation;

import java.time.Duration;

/** A request's timeout passed before it finished (waiting for a session or generating); its session was freed. */
public final class GenerationTimeoutException extends RuntimeException {
    private final Duration timeout;
    private final int generatedTokens;

    public GenerationTimeoutException(Duration timeout, int generatedTokens) {
        super("request timed out after " + timeout.toMillis() + " ms (" + (generatedTokens == 0
                ? "no token generated yet" : generatedTokens + " tokens generated") + ")");
        this.timeout = timeout;
        this.generatedTokens = generatedTokens;
    }

    public Duration timeout() {
        return timeout;
    }

    public int generatedTokens() {
        return generatedTokens;
    }
}
