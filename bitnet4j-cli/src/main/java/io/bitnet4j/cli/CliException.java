package io.bitnet4j.cli;

/** A failure while running (a missing file, a model that does not load, ...): printed as one line, exit code 1. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
