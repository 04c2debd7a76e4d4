package io.bitnet4j;

/**
 * Progress of long work (reading a model, repacking weights, writing a test model, scoring a text): the one
 * callback shape of the library. Called from the working thread(s); implementations must be quick and
 * thread-safe.
 */
@FunctionalInterface
public interface ProgressListener {

    /** {@code done} of {@code total} units of {@code stage} are complete (bytes, tensors, chunks: the stage says). */
    void progress(String stage, long done, long total);

    ProgressListener NONE = (stage, done, total) -> {};
}
