package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tokenizers of the other BitNet families against ids that bitnet.cpp's own tokenizer produced (see
 * vocab/README.md) on small vocabularies of each kind ({@link VocabularyFixtures}): byte-level BPE with the
 * {@code llama-bpe} pre-tokenizer (Llama3-8B-1.58), with {@code falcon3}'s (Falcon3-1.58bit), and SentencePiece
 * (bitnet_b1_58-large / -3B). Two sets of texts each: llama.cpp's tokenizer test texts without BOS or special
 * tokens, and texts about special tokens, digits, spaces and unknown characters with BOS and special tokens.
 */
class VocabularyVectorsTest {

    static Path resource(String name) {
        try {
            return Path.of(VocabularyVectorsTest.class.getResource("vocab/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource vocab/" + name + " is missing", e);
        }
    }

    static Stream<Arguments> vectors() {
        List<Arguments> out = new ArrayList<>();
        for (String vocab : List.of("llama-bpe", "falcon3", "spm"))
            for (String set : List.of("llama-cpp-texts", "special-texts")) out.add(Arguments.of(vocab, set));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("vectors")
    void idsEqualBitnetCpps(String vocab, String set) throws Exception {
        Map<?, ?> json = new ObjectMapper().readValue(resource(vocab + "." + set + ".json").toFile(), Map.class);
        List<?> texts = (List<?>) json.get("texts"), ids = (List<?>) json.get("ids");
        boolean special = set.equals("special-texts"); // made with --special 1 --add-bos 1; the others with 0 and 0
        Tokenizer tok;
        try (GgufFile g = GgufFile.open(resource(vocab + ".gguf"))) {
            tok = GgufTokenizer.load(g, null);
        }
        assertEquals(vocab.equals("spm"), tok.sentencePiece());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = (String) texts.get(i);
            int[] want = ((List<?>) ids.get(i)).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
            int[] got = special ? tok.encodeWithBos(text, true) : tok.encode(text, false);
            if (!Arrays.equals(want, got))
                failures.add("text " + i + " '" + text.replace("\n", "\\n") + "': bitnet.cpp " + Arrays.toString(want) + ", bitnet4j " + Arrays.toString(got));
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + texts.size() + " texts differ:\n" + String.join("\n", failures));
    }
}
