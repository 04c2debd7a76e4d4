package io.bitnet4j.gguf;

import java.io.IOException;

/**
 * A GGUF file is malformed, truncated, or lacks something the caller asked for. The message names the
 * offending key, tensor or field and, when the problem is in the bytes, the absolute file offset.
 */
public class GgufException extends IOException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A problem found while parsing at a known absolute byte offset. */
    static GgufException at(long offset, String message) {
        return new GgufException(message + " (at byte offset " + offset + ")");
    }
}
