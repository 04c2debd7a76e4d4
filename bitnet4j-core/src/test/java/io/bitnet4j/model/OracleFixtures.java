package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The shapes beyond the shared parity files that bitnet.cpp was run on (GQA 1–8, head_dim 32–256 including 80,
 * whose F16 dot products have a tail, prompts up to 200 tokens, every architecture), as compact fixtures in
 * {@code src/test/resources/io/bitnet4j/model/oracle/}: the model is rewritten at test time by
 * {@link SyntheticModel} (its SHA-256 is recorded, so a changed generator is noticed), and of bitnet.cpp's decode
 * rows only each row's SHA-256 (for bit-identity), its largest |logit| and its 16 best logits are kept.
 *
 * <p>Making them (the oracle is ../shared/oracle/parity.cpp built against bitnet.cpp, see its README):
 * <pre>
 *   java ... io.bitnet4j.model.OracleFixtures models DIR        # writes DIR/NAME.gguf and DIR/NAME.prompt
 *   parity --model DIR/NAME.gguf --tokens "$(cat DIR/NAME.prompt)" --n-gen N --threads 1 --mode serial --out DIR/NAME.decode.json
 *   java ... io.bitnet4j.model.OracleFixtures compact DIR OUT   # writes OUT/NAME.json
 * </pre>
 */
final class OracleFixtures {
    private OracleFixtures() {}

    /** One fixture: the model's shape and seed, the prompt's length and seed, the greedy tokens bitnet.cpp made. */
    record Case(String name, SyntheticModel.Spec spec, long seed, int promptLength, int generated) {
        /** Uniform ids of the ordinary tokens (the special tokens sit at the end of the vocabulary). */
        int[] prompt() {
            return new SplittableRandom(seed * 31 + 7).ints(promptLength, 0, spec.vocab() - 8).toArray();
        }

        Path writeModel(Path dir) throws IOException {
            Path file = dir.resolve(name + ".gguf");
            SyntheticModel.write(file, spec, null, seed);
            return file;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("b158-gqa8-hd32-prompt120", new SyntheticModel.Spec("bitnet-b1.58", 300, 256, 2, 8, 1, 512, 512, 500000f, 1e-5f), 101, 120, 16),
            new Case("b25-mha-hd128", new SyntheticModel.Spec("bitnet-25", 300, 256, 2, 2, 2, 384, 512, 500000f, 1e-5f), 102, 48, 16),
            new Case("bitnet-gqa8-hd64", new SyntheticModel.Spec("bitnet", 300, 512, 2, 8, 1, 640, 512, 10000f, 1e-5f), 103, 80, 16),
            new Case("llama-gqa2-hd80", new SyntheticModel.Spec("llama", 300, 640, 2, 8, 4, 768, 512, 500000f, 1e-5f), 104, 64, 16),
            new Case("llama-gqa4-hd128-prompt200", new SyntheticModel.Spec("llama", 300, 512, 2, 4, 1, 512, 512, 500000f, 1e-5f), 105, 200, 8),
            // the head sizes of the real families: bitnet_b1_58-large (MHA, 96) and Falcon3 (GQA, 256)
            new Case("bitnet-mha-hd96", new SyntheticModel.Spec("bitnet", 300, 768, 2, 8, 8, 1024, 512, 10000f, 1e-5f), 106, 40, 16),
            new Case("llama-gqa2-hd256", new SyntheticModel.Spec("llama", 300, 512, 2, 2, 1, 768, 512, 1000042f, 1e-6f), 107, 40, 16));

    /**
     * The shared files with the optional tensors bitnet.cpp's loader accepts ({@link ArchitectureTest}): pb with a
     * scale tensor on every projection, pl with rope_freqs factors and linear RoPE scaling; prompt and generation
     * length as in the shared fixtures.
     */
    static final List<String> VARIANTS = List.of("pb-scales", "pl-rope-factors");

    static Path writeVariant(String name, Path dir) throws Exception {
        ArchitectureTest.dir = dir;
        return name.equals("pb-scales") ? ArchitectureTest.bitnetWithScales() : ArchitectureTest.llamaWithRopeFactors();
    }

    /** What a fixture file holds. */
    record Fixture(String modelSha256, int[] prompt, int[] generated, List<Row> rows) {
        /** One decode row: the SHA-256 of its float32 bits, max |logit|, and its best ids with their logits. */
        record Row(String sha256, float maxAbs, int[] bestIds, float[] bestLogits) {}

        static Fixture read(String name) throws IOException {
            try (InputStream in = OracleFixtures.class.getResourceAsStream("oracle/" + name + ".json")) {
                if (in == null) throw new IOException("test resource oracle/" + name + ".json is missing");
                Map<?, ?> m = new ObjectMapper().readValue(in, Map.class);
                List<Row> rows = new ArrayList<>();
                for (Object o : (List<?>) m.get("rows")) {
                    Map<?, ?> r = (Map<?, ?>) o;
                    List<?> best = (List<?>) r.get("best");
                    int[] ids = new int[best.size()];
                    float[] logits = new float[best.size()];
                    for (int i = 0; i < ids.length; i++) {
                        List<?> pair = (List<?>) best.get(i);
                        ids[i] = ((Number) pair.get(0)).intValue();
                        logits[i] = ((Number) pair.get(1)).floatValue();
                    }
                    rows.add(new Row((String) r.get("sha256"), ((Number) r.get("max_abs")).floatValue(), ids, logits));
                }
                return new Fixture((String) m.get("model_sha256"), ParityTest.Fixture.ints(m.get("prompt")),
                        ParityTest.Fixture.ints(m.get("generated")), rows);
            }
        }

        /** What teacher forcing feeds: the prompt, then the generated tokens but the last. */
        int[] fed() {
            int[] all = java.util.Arrays.copyOf(prompt, prompt.length + generated.length - 1);
            System.arraycopy(generated, 0, all, prompt.length, generated.length - 1);
            return all;
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** SHA-256 of a logits row as little-endian float32 bits. */
    static String sha256(float[] row) {
        ByteBuffer b = ByteBuffer.allocate(4 * row.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : row) b.putFloat(v);
        return sha256(b.array());
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "models" -> {
                Path dir = Path.of(args[1]);
                for (Case c : CASES) {
                    c.writeModel(dir);
                    StringBuilder ids = new StringBuilder();
                    for (int id : c.prompt()) ids.append(ids.isEmpty() ? "" : " ").append(id);
                    Files.writeString(dir.resolve(c.name + ".prompt"), ids);
                    System.out.println(c.name + " --n-gen " + c.generated);
                }
                for (String v : VARIANTS) {
                    writeVariant(v, dir);
                    ParityTest.Fixture base = ParityTest.Fixture.of(v.substring(0, 2));
                    StringBuilder ids = new StringBuilder();
                    for (int id : base.prompt()) ids.append(ids.isEmpty() ? "" : " ").append(id);
                    Files.writeString(dir.resolve(v + ".prompt"), ids);
                    System.out.println(v + " --n-gen " + base.generated().length);
                }
            }
            case "compact" -> {
                Path dir = Path.of(args[1]), out = Path.of(args[2]);
                for (Case c : CASES) compact(dir.resolve(c.name + ".gguf"), dir.resolve(c.name + ".decode.json"), out.resolve(c.name + ".json"));
                for (String v : VARIANTS) compact(dir.resolve(v + ".gguf"), dir.resolve(v + ".decode.json"), out.resolve(v + ".json"));
            }
            default -> throw new IllegalArgumentException("models DIR | compact DIR OUT");
        }
    }

    /** The compact fixture of one oracle decode.json. */
    static void compact(Path model, Path decodeJson, Path out) throws IOException {
        ParityTest.Fixture fx = ParityTest.Fixture.read(decodeJson, decodeJson.getFileName().toString());
        StringBuilder sb = new StringBuilder();
        sb.append("{\"made_by\":\"bitnet.cpp (microsoft/BitNet 01eb415 + its llama.cpp fork, clang-19, AVX2 I2_S, 1 thread), "
                + "../shared/oracle/parity.cpp --mode serial\",\n");
        sb.append("\"model_sha256\":\"").append(sha256(Files.readAllBytes(model))).append("\",\n");
        sb.append("\"prompt\":").append(java.util.Arrays.toString(fx.prompt()).replace(" ", "")).append(",\n");
        sb.append("\"generated\":").append(java.util.Arrays.toString(fx.generated()).replace(" ", "")).append(",\n");
        sb.append("\"rows\":[\n");
        for (int i = 0; i < fx.rows().size(); i++) {
            float[] row = fx.rows().get(i);
            float maxAbs = 0;
            for (float v : row) maxAbs = Math.max(maxAbs, Math.abs(v));
            sb.append(i == 0 ? "" : ",\n").append("{\"sha256\":\"").append(sha256(row)).append("\",\"max_abs\":")
                    .append(String.format(Locale.ROOT, "%.9g", maxAbs)).append(",\"best\":[");
            int[] best = ParityTest.best(row, 16);
            for (int j = 0; j < best.length; j++)
                sb.append(j == 0 ? "" : ",").append("[").append(best[j]).append(",").append(String.format(Locale.ROOT, "%.9g", row[best[j]])).append("]");
            sb.append("]}");
        }
        sb.append("\n]}\n");
        Files.writeString(out, sb);
    }
}
