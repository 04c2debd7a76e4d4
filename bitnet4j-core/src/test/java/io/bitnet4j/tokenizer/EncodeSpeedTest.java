package io.bitnet4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Encoding speed on 1 MB of English-like text with the real vocabulary. Prints the figure; asserts only a loose
 * sanity bound because the machine is shared. Measured 2026-11-22 on the shared 2-core dev box (other builds
 * running): LLAMA3 154–225 ms best of 3 for 1 MiB (≈256k tokens, i.e. >4 MB/s), BITNET_CPP_COMPAT 240–620 ms (single run).
 */
class EncodeSpeedTest {

    private static final String[] WORDS = ("the of and to in a is that for it as was with be by on not he I this are "
            + "or his from at which but have an they you were her she there been one all we their has would when "
            + "if so no will more can out about who up them some could what into than its time only new other "
            + "people these two may first then do any like my now over such our man me even most made after also "
            + "did many before must through back years where much your way well down should because each just "
            + "those how too little state good very make world still own see men work long get here between both "
            + "life being under never day same another know while last might us great old year off come since "
            + "against go came right used take three tokenizer BitNet ternary weights inference quantization "
            + "Hello world, it's don't we'll they've 2024 3.14 100,000 (parenthesis) \"quoted\" e-mail").split(" ");

    static String englishLikeText(int chars, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(chars + 32);
        int sentence = 0;
        while (sb.length() < chars) {
            String w = WORDS[rnd.nextInt(WORDS.length)];
            sb.append(sentence == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w);
            sentence++;
            if (sentence > 6 && rnd.nextInt(8) == 0) {
                sb.append(rnd.nextInt(4) == 0 ? ".\n\n" : ". ");
                sentence = 0;
            } else {
                sb.append(rnd.nextInt(12) == 0 ? ", " : " ");
            }
        }
        return sb.substring(0, chars);
    }

    @Test
    void encodeOneMegabyteOfEnglish() {
        Tokenizer tok = TestFiles.llama3();
        String text = englishLikeText(1 << 20, 42);
        for (int i = 0; i < 3; i++) { // warm-up: JIT and the pre-token cache
            tok.encode(englishLikeText(1 << 18, i), false);
        }
        long best = Long.MAX_VALUE;
        int[] ids = null;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            ids = tok.encode(text, false);
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("encode 1 MB English-like text (LLAMA3): best of 3 = %d ms, %d tokens (%.2f chars/token)%n",
                best / 1_000_000, ids.length, text.length() / (double) ids.length);
        assertEquals(text, tok.decode(ids));
        assertTrue(best < 5_000_000_000L, "sanity bound: " + best / 1_000_000 + " ms");

        Tokenizer compat = TestFiles.compat();
        compat.encode(text, false);
        long t0 = System.nanoTime();
        int[] compatIds = compat.encode(text, false);
        System.out.printf("encode 1 MB English-like text (BITNET_CPP_COMPAT): %d ms, %d tokens%n",
                (System.nanoTime() - t0) / 1_000_000, compatIds.length);
    }
}
