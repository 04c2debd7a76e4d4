package io.bitnet4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bitnet4j.tokenizer.PreTokenizer;
import io.bitnet4j.tokenizer.StreamingDecoder;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of the tokenizer on arbitrary text and ids. Without JAZZER_FUZZ the
 * @FuzzTest methods replay the committed inputs under src/test/resources/io/bitnet4j/fuzz/TokenizerFuzzTestInputs
 * (regression mode, fast); scripts/fuzz.sh runs real fuzzing, time-boxed.
 *
 * <p>Invariants, not just "no exception": byte-level BPE is lossless, so decode(encode(t)) is t after a UTF-8
 * round trip, with or without special-token parsing; and streaming decoding equals whole decoding.
 */
class TokenizerFuzzTest {
    static final Tokenizer LLAMA3 = FuzzVocab.tokenizer(PreTokenizer.LLAMA3);
    static final Tokenizer COMPAT = FuzzVocab.tokenizer(PreTokenizer.BITNET_CPP_COMPAT);

    @FuzzTest(maxDuration = "30s")
    void encodeDecodeRoundTrip(FuzzedDataProvider data) {
        Tokenizer tok = data.consumeBoolean() ? LLAMA3 : COMPAT;
        boolean special = data.consumeBoolean();
        String text = data.consumeRemainingAsString();
        // What the text is as UTF-8 (lone surrogates become '?'): the only thing a byte-level tokenizer can keep.
        String expected = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        int[] ids = tok.encode(text, special);
        assertEquals(expected, tok.decode(ids));
        if (!special)
            for (int id : ids) assertEquals(false, tok.isControl(id), "control token from text without parseSpecial");
        // The literal-range form: the whole text protected is the same as not parsing specials at all.
        assertEquals(java.util.Arrays.toString(tok.encode(text, false)),
                java.util.Arrays.toString(tok.encode(text, new int[] {0, text.length()})));
    }

    @FuzzTest(maxDuration = "30s")
    void streamingDecodeEqualsWholeDecode(FuzzedDataProvider data) {
        Tokenizer tok = LLAMA3;
        boolean includeSpecial = data.consumeBoolean();
        int[] ids = new int[data.consumeInt(0, 64)];
        for (int i = 0; i < ids.length; i++) ids[i] = data.consumeInt(0, tok.vocabSize() - 1);
        StreamingDecoder d = new StreamingDecoder(tok, includeSpecial);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) streamed.append(d.accept(id));
        streamed.append(d.flush());
        assertEquals(tok.decode(ids, includeSpecial), streamed.toString(), () -> "ids " + java.util.Arrays.toString(ids)
                + " bytes " + java.util.HexFormat.ofDelimiter(" ").formatHex(bytesOf(tok, ids, includeSpecial)));
        // Out-of-vocabulary ids never throw from the streaming decoder (a generation loop must not die on one).
        d.accept(data.consumeInt());
        d.flush();
    }

    /** The first finding, spelled out: an encoded surrogate split across tokens (ED A2 | A2). */
    @org.junit.jupiter.api.Test
    void encodedSurrogateSplitAcrossTokensStreamsLikeWholeDecode() {
        int[] ids = {LLAMA3.tokenId(String.valueOf((char) FuzzVocab.byteChar(0xED))),
                LLAMA3.tokenId(String.valueOf((char) FuzzVocab.byteChar(0xA2))),
                LLAMA3.tokenId(String.valueOf((char) FuzzVocab.byteChar(0xA2))), LLAMA3.tokenId("H")};
        StreamingDecoder d = new StreamingDecoder(LLAMA3);
        StringBuilder s = new StringBuilder();
        for (int id : ids) s.append(d.accept(id));
        s.append(d.flush());
        assertEquals("\uFFFDH", LLAMA3.decode(ids));
        assertEquals(LLAMA3.decode(ids), s.toString());
    }

    static byte[] bytesOf(Tokenizer tok, int[] ids, boolean includeSpecial) {
        var out = new java.io.ByteArrayOutputStream();
        for (int id : ids) if (includeSpecial || !tok.isControl(id)) out.writeBytes(tok.tokenBytes(id));
        return out.toByteArray();
    }
}
