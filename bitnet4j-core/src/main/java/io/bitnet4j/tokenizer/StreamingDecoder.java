package io.bitnet4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns a stream of token ids into text as it is generated. A single token may end in the middle of a UTF-8
 * sequence (byte-level BPE splits emoji and CJK characters across tokens), so trailing bytes that could still
 * become a valid character are held back until the next token completes them. Bytes that can never be valid
 * UTF-8 come out as U+FFFD; nothing here throws for bad input. Not thread-safe: one decoder per stream.
 */
public final class StreamingDecoder {

    private static final String REPLACEMENT = "\uFFFD";

    private final Tokenizer tokenizer;
    private final boolean includeSpecial;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Special tokens (BOS, EOT…) are emitted as their text. */
    public StreamingDecoder(Tokenizer tokenizer) {
        this(tokenizer, true);
    }

    /** With {@code includeSpecial = false}, control tokens produce no text. */
    public StreamingDecoder(Tokenizer tokenizer, boolean includeSpecial) {
        this.tokenizer = tokenizer;
        this.includeSpecial = includeSpecial;
    }

    /**
     * Adds one token and returns the text that is now complete (possibly ""). An id outside the vocabulary
     * yields U+FFFD rather than an exception, so a generation loop is never interrupted by the decoder.
     */
    public String accept(int id) {
        if (id < 0 || id >= tokenizer.vocabSize()) {
            return flush() + REPLACEMENT;
        }
        if (!includeSpecial && tokenizer.isControl(id)) {
            return "";
        }
        tokenizer.appendTokenBytes(id, pending);
        byte[] bytes = pending.toByteArray();
        int complete = completePrefixLength(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is held back (an unfinished sequence becomes U+FFFD) and resets the decoder. */
    public String flush() {
        byte[] bytes = pending.toByteArray();
        pending.reset();
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** True when bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return pending.size() > 0;
    }

    /**
     * Length of the prefix that can be decoded now: everything except a trailing, still-completable start of a
     * multi-byte sequence (at most 3 bytes). Invalid tails are not held: they decode to U+FFFD immediately.
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        // A sequence start can be at most 3 bytes before the end if it is still incomplete.
        for (int start = n - 1; start >= Math.max(0, n - 3); start--) {
            int lead = b[start] & 0xFF;
            if (lead < 0x80) {
                return n; // ASCII: everything before and including it is complete or already invalid
            }
            if (lead >= 0xC0) {
                int need = sequenceLength(lead);
                if (need > n - start && isValidPrefix(Arrays.copyOfRange(b, start, n))) {
                    return start;
                }
                return n;
            }
            // continuation byte: keep looking for its lead
        }
        return n;
    }

    /** Total length of a sequence starting with {@code lead}, or 0 for bytes that never start one. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /** Whether {@code seq} (lead byte first, shorter than its full length) can still become a valid character. */
    private static boolean isValidPrefix(byte[] seq) {
        int lead = seq[0] & 0xFF;
        if (sequenceLength(lead) == 0) {
            return false;
        }
        for (int i = 1; i < seq.length; i++) {
            int c = seq[i] & 0xFF;
            int lo = 0x80;
            int hi = 0xBF;
            if (i == 1) { // the second byte is narrower for a few leads (no overlongs, > U+10FFFF)
                // ED A0..BF (an encoded surrogate) is NOT cut short here: Java's decoder reads ED xx yy as one
                // 3-byte unit and replaces it with a single U+FFFD, so holding it back keeps the streamed text
                // equal to decoding all bytes at once (fuzzing found ED A2 | A2 giving two U+FFFD instead of one).
                switch (lead) {
                    case 0xE0 -> lo = 0xA0;
                    case 0xF0 -> lo = 0x90;
                    case 0xF4 -> hi = 0x8F;
                    default -> { }
                }
            }
            if (c < lo || c > hi) {
                return false;
            }
        }
        return true;
    }
}
