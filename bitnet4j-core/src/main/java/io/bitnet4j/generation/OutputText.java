package io.bitnet4j.generation;

import io.bitnet4j.tokenizer.StreamingDecoder;
import io.bitnet4j.tokenizer.Tokenizer;
import java.util.List;

/**
 * The text of one generation as its tokens arrive: end-of-generation tokens recognised, bytes decoded into complete
 * UTF-8, stop strings matched on the decoded text, and text that might still become the start of a stop string held
 * back until it is decided. {@link Generator} and {@link BatchGenerator} both stream through it. Not thread-safe:
 * one per generation.
 */
final class OutputText {

    /** What a generated token did to the text. */
    enum Verdict { CONTINUE, END_OF_GENERATION, STOP_STRING }

    private final Tokenizer tokenizer;
    private final List<String> stops;
    private final int longestStop;
    private final StreamingDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private int released; // chars of text already handed out

    /** Control tokens other than the end of generation appear as their text. */
    OutputText(Tokenizer tokenizer, List<String> stops) {
        this(tokenizer, stops, true);
    }

    /** With {@code specialTokensInText = false}, control tokens add no text. */
    OutputText(Tokenizer tokenizer, List<String> stops, boolean specialTokensInText) {
        this.tokenizer = tokenizer;
        this.stops = List.copyOf(stops);
        this.longestStop = this.stops.stream().mapToInt(String::length).max().orElse(0);
        this.decoder = new StreamingDecoder(tokenizer, specialTokensInText);
    }

    /**
     * Adds a generated token. An end-of-generation token adds no text; a completed stop string cuts the text where
     * it begins (the stop string and anything after it are dropped).
     */
    Verdict accept(int token) {
        if (tokenizer.isEndOfGeneration(token)) return Verdict.END_OF_GENERATION;
        int before = text.length();
        text.append(decoder.accept(token));
        // Only a match reaching into the new text can be new: an older one would have stopped an earlier token.
        int stopAt = findStop(text, stops, Math.max(0, before - longestStop + 1));
        if (stopAt < 0) return Verdict.CONTINUE;
        text.setLength(stopAt);
        return Verdict.STOP_STRING;
    }

    /** The text that can no longer turn into a stop string and was not released before ("" if none). */
    String release() {
        int safe = text.length() - heldBack(text, stops);
        return releaseUpTo(safe);
    }

    /**
     * Ends the stream and returns the rest of the text: held-back characters, and bytes of an unfinished UTF-8
     * sequence as U+FFFD. After a stop string there are no such bytes to add: the text was cut before them.
     */
    String finish(Verdict last) {
        if (last != Verdict.STOP_STRING) text.append(decoder.flush());
        return releaseUpTo(text.length());
    }

    /** Everything generated so far (without a matched stop string), released or not. */
    String text() {
        return text.toString();
    }

    private String releaseUpTo(int end) {
        if (end <= released) return "";
        String piece = text.substring(released, end);
        released = end;
        return piece;
    }

    /** Index of the earliest complete stop string in text, or -1. */
    static int findStop(StringBuilder text, List<String> stops) {
        return findStop(text, stops, 0);
    }

    /** Index of the earliest complete stop string that starts at or after {@code from}, or -1. */
    static int findStop(StringBuilder text, List<String> stops, int from) {
        int best = -1;
        for (String stop : stops) {
            if (stop.isEmpty()) continue;
            int i = text.indexOf(stop, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of some stop string (kept back from output). */
    static int heldBack(CharSequence text, List<String> stops) {
        int hold = 0;
        for (String stop : stops)
            for (int len = Math.min(stop.length() - 1, text.length()); len > hold; len--)
                if (endsWithPrefix(text, stop, len)) {
                    hold = len;
                    break;
                }
        return hold;
    }

    /** True if the last len chars of text equal the first len chars of stop (compared in place, no copy). */
    private static boolean endsWithPrefix(CharSequence text, String stop, int len) {
        int from = text.length() - len;
        for (int i = 0; i < len; i++) if (text.charAt(from + i) != stop.charAt(i)) return false;
        return true;
    }
}
