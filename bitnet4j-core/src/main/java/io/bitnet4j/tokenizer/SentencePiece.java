package io.bitnet4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece encoding of one text fragment as llama.cpp does it for GGUF {@code tokenizer.ggml.model = "llama"}
 * vocabularies (LLaMA-1/2 and bitnet_b1_58-large / -3B): spaces become "▁" (a space is first put in front when
 * the vocabulary asks for it); the text starts as one symbol per character; repeatedly the adjacent pair whose
 * concatenation is a vocabulary entry with the highest score (the leftmost on ties) is merged; each final symbol
 * is its token, or, when a single character is not in the vocabulary, its UTF-8 bytes as the byte tokens
 * {@code <0xXX>}. There are no merge rules and no pre-tokenizer.
 */
final class SentencePiece {
    private SentencePiece() {}

    static final String SPACE = "\u2581";

    /** A candidate merge of the symbols starting at left and right, whose joined text has that score. */
    private record Pair(int left, int right, float score, int length) {}

    /**
     * @param ids        token id by text
     * @param scores     token scores
     * @param byteTokens id of the {@code <0xXX>} token of each byte, -1 where the vocabulary has none
     */
    static void encode(String fragment, boolean spacePrefix, Map<String, Integer> ids, float[] scores, int[] byteTokens,
            Tokenizer.IntList out) {
        String text = (spacePrefix ? " " + fragment : fragment).replace(" ", SPACE);
        // symbol i covers text[start[i], start[i] + length[i]); merged-away symbols have length 0
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n], length = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            int cp = text.codePointAt(at);
            start[i] = at;
            length[i] = Character.charCount(cp);
            at += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(queue, text, ids, scores, start, length, i - 1, i);
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            if (length[p.left] == 0 || length[p.right] == 0 || length[p.left] + length[p.right] != p.length) continue; // stale
            length[p.left] += length[p.right];
            length[p.right] = 0;
            next[p.left] = next[p.right];
            if (next[p.right] >= 0) prev[next[p.right]] = p.left;
            if (prev[p.left] >= 0) offer(queue, text, ids, scores, start, length, prev[p.left], p.left);
            if (next[p.left] >= 0) offer(queue, text, ids, scores, start, length, p.left, next[p.left]);
        }
        // A merged symbol is always a vocabulary entry; a symbol that is not is a single character: its bytes.
        for (int i = 0; n > 0 && i >= 0; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + length[i]);
            Integer id = ids.get(symbol);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                int t = byteTokens[b & 0xFF];
                if (t < 0)
                    throw new IllegalArgumentException("the vocabulary has no token for '" + symbol + "' nor for its byte <0x"
                            + String.format("%02X", b & 0xFF) + ">");
                out.add(t);
            }
        }
    }

    private static void offer(PriorityQueue<Pair> queue, String text, Map<String, Integer> ids, float[] scores, int[] start,
            int[] length, int left, int right) {
        int len = length[left] + length[right];
        Integer id = ids.get(text.substring(start[left], start[left] + len));
        if (id != null) queue.add(new Pair(left, right, scores[id], len));
    }

    /** The byte a {@code <0xXX>} token stands for, or -1 for any other text. */
    static int byteOf(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(token.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
