package io.bitnet4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How text is cut into pre-tokens before BPE runs inside each one (spec §5).
 *
 * <ul>
 *   <li>{@link #LLAMA3}: the Hugging Face LLaMA-3 split regex, plus llama.cpp's {@code ignore_merges}: a pre-token
 *       that is itself a vocabulary entry is emitted as that token without running merges. This is the model's
 *       true tokenizer.</li>
 *   <li>{@link #BITNET_CPP_COMPAT}: what bitnet.cpp does with the official GGUF, which lacks
 *       {@code tokenizer.ggml.pre}: llama.cpp's default BPE pre-tokenizer, four regexes applied in sequence,
 *       without ignore_merges. Only for parity with bitnet.cpp.</li>
 *   <li>{@link #FALCON3}: llama.cpp's {@code falcon3} pre-tokenizer (Falcon3, including its 1.58-bit models):
 *       punctuation and ASCII symbol runs, GPT-2's pattern, then every ASCII digit on its own.</li>
 * </ul>
 *
 * <p>A sequence of regexes works like this: the text starts as one piece; each regex in turn is run over every
 * current piece separately (it cannot see across a piece boundary, so a look-ahead at a piece's end sees
 * "end of input"); the matches <em>and</em> the unmatched stretches between them become the new pieces.
 *
 * <p>Character classes: {@code \s} is Unicode White_Space (Java's default {@code \s} is ASCII-only, so it is
 * spelled {@code \p{IsWhite_Space}} here); {@code \p{L}}, {@code \p{N}}, {@code \p{P}} are the Unicode general
 * categories, as in Rust's regex (HF) and llama.cpp's tables.
 */
public enum PreTokenizer {

    LLAMA3(true,
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
                    + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
                    + "|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+"
                    + "|\\s+(?!\\S)"
                    + "|\\s+"),

    BITNET_CPP_COMPAT(false,
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            Gpt2.REGEX,
            "\\p{N}+",
            "[0-9][0-9][0-9]"),

    FALCON3(false,
            "[\\p{P}\\$\\+<=>\\^~\\|`]+",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            "[0-9]");

    /** GPT-2's split regex: the second stage of {@link #BITNET_CPP_COMPAT}, and what byte-level BPE trainers use. */
    private static final class Gpt2 {
        // llama.cpp's own implementation of it also ends with a plain \s+ alternative; written out here so a
        // lone whitespace char before a non-space stays one piece either way.
        static final String REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
        static final Pattern PATTERN = Pattern.compile(withUnicodeWhitespace(REGEX));
    }

    private static final String UNICODE_SPACE = "\\p{IsWhite_Space}";

    private final boolean ignoreMerges;
    private final Pattern[] patterns;

    PreTokenizer(boolean ignoreMerges, String... regexes) {
        this.ignoreMerges = ignoreMerges;
        this.patterns = new Pattern[regexes.length];
        for (int i = 0; i < regexes.length; i++) {
            patterns[i] = Pattern.compile(withUnicodeWhitespace(regexes[i]));
        }
    }

    /**
     * Chooses the mode for a GGUF {@code tokenizer.ggml.pre} value. Returns null when the key is absent (the
     * caller decides: LLAMA3 for quality, BITNET_CPP_COMPAT for parity with bitnet.cpp).
     *
     * @throws IllegalArgumentException for pre-tokenizer names this runtime does not implement
     */
    public static PreTokenizer forGguf(String pre) {
        if (pre == null || pre.isEmpty()) {
            return null;
        }
        return switch (pre) {
            case "llama-bpe", "llama3", "llama-v3" -> LLAMA3;
            case "default" -> BITNET_CPP_COMPAT;
            case "falcon3" -> FALCON3;
            default -> throw new IllegalArgumentException("unsupported tokenizer.ggml.pre: " + pre);
        };
    }

    /** Whether a pre-token found whole in the vocabulary is emitted directly, skipping BPE merges. */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** Splits {@code text} into pre-tokens (never empty strings); concatenated they give back {@code text}. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, 0, text.length(), out);
        return out;
    }

    /**
     * Splits {@code text} with GPT-2's regex alone (one pass, none of the other stages): the pre-tokens a GPT-2
     * style byte-level BPE trainer counts, as the test-model generator does. Concatenated they give back
     * {@code text}.
     */
    public static List<String> splitGpt2(String text) {
        PieceList pieces = new PieceList(16);
        splitPiece(Gpt2.PATTERN.matcher(text), 0, text.length(), pieces);
        List<String> out = new ArrayList<>(pieces.size);
        for (int p = 0; p < pieces.size; p++) {
            out.add(text.substring(pieces.bounds[2 * p], pieces.bounds[2 * p + 1]));
        }
        return out;
    }

    /** Appends the pre-tokens of {@code text[from, to)} to {@code out}. */
    void split(String text, int from, int to, List<String> out) {
        if (from >= to) {
            return;
        }
        // Piece boundaries as [start, end) pairs packed in an int list; the first regex sees one piece.
        int[] bounds = {from, to};
        int count = 1;
        for (Pattern pattern : patterns) {
            PieceList next = new PieceList(count * 2);
            Matcher m = pattern.matcher(text);
            for (int p = 0; p < count; p++) {
                splitPiece(m, bounds[2 * p], bounds[2 * p + 1], next);
            }
            bounds = next.bounds;
            count = next.size;
        }
        for (int p = 0; p < count; p++) {
            out.add(text.substring(bounds[2 * p], bounds[2 * p + 1]));
        }
    }

    /** Runs the regex within one piece (opaque region bounds) and keeps matches and the gaps between them. */
    private static void splitPiece(Matcher m, int start, int end, PieceList out) {
        m.region(start, end);
        int cursor = start;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue; // none of our regexes match empty text; guard anyway
            }
            out.add(cursor, m.start());
            out.add(m.start(), m.end());
            cursor = m.end();
        }
        out.add(cursor, end);
    }

    /** Growable list of [start, end) pairs; empty ranges are dropped. */
    private static final class PieceList {
        int[] bounds;
        int size;

        PieceList(int capacity) {
            bounds = new int[Math.max(4, capacity)];
        }

        void add(int start, int end) {
            if (start >= end) {
                return;
            }
            if (2 * size + 2 > bounds.length) {
                bounds = java.util.Arrays.copyOf(bounds, bounds.length * 2);
            }
            bounds[2 * size] = start;
            bounds[2 * size + 1] = end;
            size++;
        }
    }

    /** Rewrites {@code \s} / {@code \S} (also inside classes) to Unicode White_Space. */
    private static String withUnicodeWhitespace(String regex) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char n = regex.charAt(i + 1);
                if (n == 's') {
                    sb.append(UNICODE_SPACE);
                } else if (n == 'S') {
                    sb.append("\\P{IsWhite_Space}");
                } else {
                    sb.append(c).append(n);
                }
                i++;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
