package io.bitnet4j.cli;

/** A user error: printed as one line, exit code 1. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
