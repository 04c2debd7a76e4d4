package io.bitnet4j.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * GPT-2's reversible byte ↔ printable-character mapping used by byte-level BPE vocabularies.
 *
 * <p>Printable Latin-1 bytes (0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF) stand for themselves; the remaining 68 bytes
 * (controls, space, 0x7F–0xA0, 0xAD) are assigned U+0100, U+0101, … in increasing byte order. So a space is
 * stored as "Ġ" (U+0120) and a newline as "Ċ" (U+010A) in the vocabulary and merge strings.
 *
 * <p>Public for tools that build byte-level vocabularies (the test-model generator in {@code io.bitnet4j.synthetic}).
 */
public final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char value (all mapped chars are below 0x144); -1 for chars that are not a byte's image. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    static char charOf(int unsignedByte) {
        return BYTE_TO_CHAR[unsignedByte];
    }

    /** The byte a vocabulary char stands for, or -1 if the char is not part of the mapping. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * The 256 single-byte tokens in the order GPT-2 lists them at the start of its vocabulary: ascending by
     * character, so the 188 printable bytes (which stand for themselves) come first, then the other 68.
     */
    public static List<String> byteTokensInVocabularyOrder() {
        char[] chars = BYTE_TO_CHAR.clone();
        Arrays.sort(chars);
        return new String(chars).chars().mapToObj(Character::toString).toList();
    }

    /** Maps raw bytes to the vocabulary's string form, one char per byte (e.g. the bytes of " the" to "Ġthe"). */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Maps a vocabulary string back to bytes. Returns null if some char is outside the mapping (such a token
     * is not a byte-level token; the caller then falls back to its UTF-8 text).
     */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
