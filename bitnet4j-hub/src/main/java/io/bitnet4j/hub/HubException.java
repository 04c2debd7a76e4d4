package io.bitnet4j.hub;

import java.io.IOException;

/** A model could not be resolved: the message names the problem and what to do; {@link #kind()} classifies it. */
public final class HubException extends IOException {

    /** What went wrong, for callers that react differently (retry, ask for a token, pick a file). */
    public enum Kind {
        /** The hub could not be reached (no network, DNS, refused connection, timeout, connection cut). */
        NETWORK,
        /** The hub answered with a server error (5xx) or a status this client does not handle. */
        SERVER,
        /** 401/403: a gated or private repository without a token that has access to it. */
        UNAUTHORIZED,
        REPO_NOT_FOUND,
        REVISION_NOT_FOUND,
        FILE_NOT_FOUND,
        /** The repository holds several GGUF files and none was named. */
        AMBIGUOUS,
        /** Downloaded or cached bytes do not match the checksum the hub publishes. */
        CHECKSUM_MISMATCH,
        DISK_FULL,
        /** Offline mode (or an unreachable hub) and the file is not in the cache. */
        NOT_CACHED,
        /** The server's answer is not what the hub's API documents (missing headers, bad JSON). */
        PROTOCOL,
        /** The local cache cannot be read or written. */
        IO
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
