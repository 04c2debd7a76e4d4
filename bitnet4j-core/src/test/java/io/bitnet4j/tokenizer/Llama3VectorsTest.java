package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.tokenizer.TestFiles.Vector;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every line of both vector files with the real LLaMA-3 vocabulary (skipped with a message when the vocabulary
 * or the vectors are unavailable).
 */
class Llama3VectorsTest {

    @Test
    void llama3ModeReproducesHfVectors() throws IOException {
        assertAllVectors(TestFiles.llama3(), TestFiles.vectors("llama3-bpe"));
    }

    @Test
    void compatModeReproducesBitnetCppVectors() throws IOException {
        assertAllVectors(TestFiles.compat(), TestFiles.vectors("bitnetcpp-compat"));
    }

    @Test
    void decodeInvertsEncodeForAllVectorTexts() throws IOException {
        for (Tokenizer t : List.of(TestFiles.llama3(), TestFiles.compat())) {
            for (Vector v : TestFiles.vectors("llama3-bpe")) {
                assertEquals(v.text(), t.decode(t.encode(v.text(), false)), "text #" + v.index());
                assertEquals(v.text(), t.decode(t.encode(v.text(), true)), "text #" + v.index());
            }
        }
    }

    @Test
    void vocabularyShapeAndSpecialIds() {
        Tokenizer t = TestFiles.llama3();
        assertEquals(128256, t.vocabSize());
        assertEquals(128000, t.bos());
        assertEquals(128001, t.eos());
        assertEquals(128009, t.eot());
        assertEquals(280147, t.mergeCount());
        assertTrue(t.isEndOfGeneration(128001));
        assertTrue(t.isEndOfGeneration(128009));
        // <|eom_id|> only exists from Llama 3.1 on; this Llama 3 vocabulary has a reserved token at 128008.
        assertEquals(-1, t.tokenId("<|eom_id|>"));
        assertTrue(!t.isEndOfGeneration(128008));
        assertTrue(!t.isEndOfGeneration(128000));
        assertEquals("Ġworld", t.tokenText(1917));
        assertArrayEquals(" world".getBytes(), t.tokenBytes(1917));
    }

    @Test
    void parseSpecialTurnsEotTextIntoItsId() {
        Tokenizer t = TestFiles.llama3();
        String text = "Hi<|eot_id|>Assistant: ";
        int[] parsed = t.encode(text, true);
        int[] literal = t.encode(text, false);
        assertEquals(1, Arrays.stream(parsed).filter(id -> id == 128009).count());
        assertTrue(Arrays.stream(literal).noneMatch(id -> id >= 128000), Arrays.toString(literal));
        assertArrayEquals(concat(t.encode("Hi", false), new int[] {128009}, t.encode("Assistant: ", false)), parsed);
        assertEquals(text, t.decode(parsed));
        assertEquals(text, t.decode(literal));
        assertEquals("HiAssistant: ", t.decode(parsed, false));
        assertArrayEquals(concat(new int[] {128000}, t.encode("Hello", true)), t.encodeWithBos("Hello", true));
    }

    @Test
    void chatPromptTokens() {
        Tokenizer t = TestFiles.llama3();
        String prompt = ChatTemplate.BITNET.render(
                List.of(ChatTemplate.Message.system("You are a helpful assistant"), ChatTemplate.Message.user("Hi")),
                true);
        int[] ids = t.encodeWithBos(prompt, true);
        assertEquals(128000, ids[0]);
        int eot = indexOf(ids, 128009);
        assertTrue(eot > 0, "prompt must contain the eot id");
        assertEquals("Assistant: ", t.decode(Arrays.copyOfRange(ids, eot + 1, ids.length)));
        assertEquals("<|begin_of_text|>System: You are a helpful assistantUser: Hi<|eot_id|>Assistant: ",
                t.decode(ids));
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }

    private static void assertAllVectors(Tokenizer t, List<Vector> vectors) {
        List<String> failures = new ArrayList<>();
        for (Vector v : vectors) {
            int[] got = t.encode(v.text(), false);
            if (!Arrays.equals(v.ids(), got)) {
                failures.add("#" + v.index() + " " + escape(v.text()) + "\n   expected " + Arrays.toString(v.ids())
                        + "\n   got      " + Arrays.toString(got) + "\n   pieces   "
                        + t.preTokenizer().split(v.text()).stream().map(Escape::of).toList());
            }
        }
        System.out.printf("%s: %d/%d vectors pass%n", t.preTokenizer(), vectors.size() - failures.size(),
                vectors.size());
        assertTrue(failures.isEmpty(), failures.size() + " of " + vectors.size() + " vectors differ:\n"
                + String.join("\n", failures));
    }

    private static String escape(String s) {
        return Escape.of(s);
    }

    /** Visible escapes for whitespace in failure messages. */
    static final class Escape {
        static String of(String s) {
            return "\"" + s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + "\"";
        }
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
