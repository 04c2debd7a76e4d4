package io.bitnet4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A tiny byte-level BPE vocabulary built in code, so tokenizer tests run without downloading anything.
 * Ids 0..255 are the single bytes in byte order (so byte b has id b); merged tokens and specials follow.
 */
final class SyntheticVocab {

    final List<String> tokens = new ArrayList<>();
    final List<String> merges = new ArrayList<>();
    final List<Integer> types = new ArrayList<>();

    private SyntheticVocab() {
        for (int b = 0; b < 256; b++) {
            add(String.valueOf(ByteLevel.charOf(b)), TokenizerData.TYPE_NORMAL);
        }
        // Rank order matters: "b c" outranks "a b", so "abc" becomes [a, bc].
        merge("b", "c");
        merge("a", "b");
        merge("h", "e");
        merge("l", "l");
        merge("he", "ll");
        merge("hell", "o");
        merge("Ġ", "w");
        merge("o", "r");
        merge("Ġw", "or");
        merge("Ġwor", "l");
        merge("Ġworl", "d");
        merge("a", "a");
        merge("aa", "aa");
        // In the vocabulary but unreachable by merges: only ignore_merges (LLAMA3 mode) can produce it.
        add("Ġhello", TokenizerData.TYPE_NORMAL);
        add("<|begin_of_text|>", TokenizerData.TYPE_CONTROL);
        add("<|end_of_text|>", TokenizerData.TYPE_CONTROL);
        add("<|eot_id|>", TokenizerData.TYPE_CONTROL);
        add("<|eom_id|>", TokenizerData.TYPE_CONTROL);
        add("<|eot_id|>x", TokenizerData.TYPE_USER_DEFINED); // longer special sharing a prefix: longest wins
    }

    static TokenizerData data() {
        SyntheticVocab v = new SyntheticVocab();
        int[] types = v.types.stream().mapToInt(Integer::intValue).toArray();
        return TokenizerData.fromGguf(v.tokens, v.merges, types, v.id("<|begin_of_text|>"), v.id("<|end_of_text|>"),
                true, null, "{{ 'BITNET' }}");
    }

    static Tokenizer tokenizer(PreTokenizer mode) {
        return Tokenizer.create(data(), mode);
    }

    int id(String token) {
        return tokens.indexOf(token);
    }

    private void add(String token, int type) {
        tokens.add(token);
        types.add(type);
    }

    private void merge(String left, String right) {
        merges.add(left + " " + right);
        if (!tokens.contains(left + right)) {
            add(left + right, TokenizerData.TYPE_NORMAL);
        }
    }
}
