package io.bitnet4j.bench;

import io.bitnet4j.model.OutputType;
import io.bitnet4j.model.LogitsDump;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import java.nio.file.Path;

/**
 * How often a quantized output projection picks the same greedy token as the F16 one: the F16 model generates
 * greedily from a prompt, and the quantized model is fed the same tokens (teacher forcing), position by position.
 * Usage: OutputTypeAgreement MODEL.gguf POSITIONS [threads [i8|q4]]
 */
public final class OutputTypeAgreement {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int positions = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        String type = args.length > 3 ? args[3] : "i8";
        Model.Options o = Model.Options.builder().threads(threads).contextLength(positions + 2).build();
        try (Model f16 = Model.load(file, o); Model quantized = Model.load(file, o.toBuilder().outputType(OutputType.parse(type)).build());
             Session a = f16.newSession(); Session b = quantized.newSession()) {
            int token = 1 % f16.config().vocabSize(), same = 0;
            for (int p = 0; p < positions; p++) {
                int next = LogitsDump.argmax(a.decode(token));
                if (LogitsDump.argmax(b.decode(token)) == next) same++;
                token = next;
            }
            System.out.printf("%s: greedy token equal at %d of %d positions (%.2f %%)%n", type, same, positions, 100.0 * same / positions);
        }
    }
}
