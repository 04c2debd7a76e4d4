package io.bitnet4j.model;

/** Thrown when tokens would not fit in a session's context; the session is left unchanged. */
public final class ContextOverflowException extends IllegalStateException {
    private final int position, tokens, contextLength;

    public ContextOverflowException(int position, int tokens, int contextLength) {
        super("context full: " + tokens + " token(s) at position " + position + " exceed the context length of "
                + contextLength + " (start a new session, truncate, or use a larger --ctx-size)");
        this.position = position;
        this.tokens = tokens;
        this.contextLength = contextLength;
    }

    public int position() { return position; }
    public int tokens() { return tokens; }
    public int contextLength() { return contextLength; }
}
