package io.bitnet4j.fuzz;

import io.bitnet4j.tokenizer.PreTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import io.bitnet4j.tokenizer.TokenizerData;
import java.util.ArrayList;
import java.util.List;

/**
 * A small byte-level BPE vocabulary for fuzzing: all 256 bytes, merges that build multi-byte UTF-8 pieces
 * (so tokens end mid-character), and control plus user-defined specials sharing prefixes.
 */
final class FuzzVocab {
    private FuzzVocab() {}

    static Tokenizer tokenizer(PreTokenizer mode) {
        List<String> tokens = new ArrayList<>(), merges = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf((char) byteChar(b)));
            types.add(TokenizerData.TYPE_NORMAL);
        }
        String[][] pairs = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"Ġ", "w"}, {"o", "r"}, {"Ġw", "or"},
                {"a", "a"}, {"aa", "aa"}, {"Ġ", "Ġ"}, {"ĠĠ", "ĠĠ"}, {"1", "2"}, {"12", "3"},
                // "é" is C3 A9 -> "Ã©"; "€" is E2 82 AC -> "âĤ¬": merge only the first two bytes of "€".
                {"Ã", "©"}, {"â", "Ĥ"}, {"âĤ", "¬"}};
        for (String[] p : pairs) {
            merges.add(p[0] + " " + p[1]);
            if (!tokens.contains(p[0] + p[1])) {
                tokens.add(p[0] + p[1]);
                types.add(TokenizerData.TYPE_NORMAL);
            }
        }
        for (String s : List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>")) {
            tokens.add(s);
            types.add(TokenizerData.TYPE_CONTROL);
        }
        tokens.add("<|eot_id|>x");
        types.add(TokenizerData.TYPE_USER_DEFINED);
        int[] t = types.stream().mapToInt(Integer::intValue).toArray();
        var data = TokenizerData.fromGguf(tokens, merges, t, tokens.indexOf("<|begin_of_text|>"),
                tokens.indexOf("<|end_of_text|>"), true, null, null);
        return Tokenizer.create(data, mode);
    }

    /** GPT-2's byte-to-unicode map (printable bytes map to themselves, the rest to U+0100 onwards). */
    static int byteChar(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return b;
        int n = 0;
        for (int x = 0; x < b; x++)
            if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
        return 256 + n;
    }
}
