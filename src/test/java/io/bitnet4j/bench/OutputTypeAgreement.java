package io.bitnet4j.bench;

import io.bitnet4j.model.LogitsDump;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import java.nio.file.Path;

/**
 * How often the int8 output projection picks the same greedy token as the F16 one: the F16 model generates
 * greedily from a prompt, and the int8 model is fed the same tokens (teacher forcing), position by position.
 * Usage: OutputTypeAgreement MODEL.gguf POSITIONS [threads]
 */
public final class OutputTypeAgreement {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int positions = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        Model.Options o = Model.Options.defaults().withThreads(threads).withContextLength(positions + 2);
        try (Model f16 = Model.load(file, o); Model i8 = Model.load(file, o.withOutputType("i8"));
             Session a = f16.newSession(); Session b = i8.newSession()) {
            int token = 1 % f16.config().vocabSize(), same = 0;
            for (int p = 0; p < positions; p++) {
                int next = LogitsDump.argmax(a.decode(token));
                if (LogitsDump.argmax(b.decode(token)) == next) same++;
                token = next;
            }
            System.out.printf("greedy token equal at %d of %d positions (%.2f %%)%n", same, positions, 100.0 * same / positions);
        }
    }
}
