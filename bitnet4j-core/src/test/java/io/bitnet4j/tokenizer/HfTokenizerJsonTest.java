package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading tokenizer.json files written from the synthetic vocabulary, in both merge formats. */
class HfTokenizerJsonTest {

    @TempDir
    Path dir;

    @Test
    void loadsStringAndPairMerges() throws IOException {
        Tokenizer reference = SyntheticVocab.tokenizer(PreTokenizer.LLAMA3);
        for (boolean pairs : new boolean[] {false, true}) {
            Path file = writeTokenizerJson(pairs);
            Tokenizer t = Tokenizer.fromHfTokenizerJson(file);
            assertEquals(reference.vocabSize(), t.vocabSize());
            assertEquals(reference.bos(), t.bos());
            assertEquals(reference.eos(), t.eos());
            assertEquals(reference.eot(), t.eot());
            String text = "hello world<|eot_id|> abc aaa";
            assertArrayEquals(reference.encode(text, true), t.encode(text, true));
            assertEquals(TokenizerData.TYPE_CONTROL, t.tokenType(t.eot()));
            assertEquals(TokenizerData.TYPE_USER_DEFINED, t.tokenType(t.tokenId("<|eot_id|>x")));
        }
    }

    @Test
    void fromGgufPicksModeFromPreKey() {
        TokenizerData d = SyntheticVocab.data();
        assertEquals(PreTokenizer.BITNET_CPP_COMPAT, Tokenizer.fromGguf(d, PreTokenizer.BITNET_CPP_COMPAT).preTokenizer());
        TokenizerData withPre = new TokenizerData(d.tokens(), d.merges(), d.tokenTypes(), d.bos(), d.eos(), d.eot(),
                d.addBos(), "llama-bpe", d.chatTemplate());
        assertEquals(PreTokenizer.LLAMA3, Tokenizer.fromGguf(withPre, PreTokenizer.BITNET_CPP_COMPAT).preTokenizer());
    }

    @Test
    void rejectsNonBpeModels() throws IOException {
        Path file = dir.resolve("wordpiece.json");
        Files.writeString(file, "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}");
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromHfTokenizerJson(file));
    }

    private Path writeTokenizerJson(boolean pairMerges) throws IOException {
        TokenizerData d = SyntheticVocab.data();
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < d.tokens().size(); id++) {
            int type = d.typeOf(id);
            if (type == TokenizerData.TYPE_NORMAL) {
                vocab.put(d.tokens().get(id), (long) id);
            } else {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", (long) id);
                t.put("content", d.tokens().get(id));
                t.put("special", type == TokenizerData.TYPE_CONTROL);
                added.add(t);
            }
        }
        List<Object> merges = new ArrayList<>();
        for (String m : d.merges()) {
            int space = m.indexOf(' ', 1);
            merges.add(pairMerges ? List.of(m.substring(0, space), m.substring(space + 1)) : m);
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("model", model);
        Path file = dir.resolve(pairMerges ? "pairs.json" : "strings.json");
        new ObjectMapper().writeValue(file.toFile(), root);
        return file;
    }
}
