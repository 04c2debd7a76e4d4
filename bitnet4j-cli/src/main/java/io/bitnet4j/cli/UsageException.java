package io.bitnet4j.cli;

/** A command line that cannot run as written (a bad value, options that do not fit together): one line, exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
