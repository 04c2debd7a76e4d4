package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bitnet.cpp's decode rows on the shapes of {@link OracleFixtures} (GQA 1–8, head_dim 32–128, prompts up to 200
 * tokens, every architecture, and the shared files with projection scales or RoPE frequency factors): exact
 * numerics bit-identical on every row and the same greedy tokens; fast numerics within the shared criteria (the
 * |Δ| bound on each row's 16 best logits, which is what the compact fixtures keep), greedy tokens equal where
 * the margin is at least 0.5.
 */
class ShapeParityTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> fixtures() {
        List<Arguments> out = new ArrayList<>();
        for (OracleFixtures.Case c : OracleFixtures.CASES) for (Numerics n : Numerics.values()) out.add(Arguments.of(c.name(), n));
        for (String v : OracleFixtures.VARIANTS) for (Numerics n : Numerics.values()) out.add(Arguments.of(v, n));
        return out.stream();
    }

    /** The fixture's model, rewritten here; its SHA-256 must be the one bitnet.cpp ran. */
    static Path model(String name, OracleFixtures.Fixture fx) throws Exception {
        Path file;
        if (OracleFixtures.VARIANTS.contains(name)) {
            Assumptions.assumeTrue(ParityTest.sharedDir() != null, "../shared/parity is absent: skipped");
            file = OracleFixtures.writeVariant(name, Files.createDirectories(dir.resolve(name)));
        } else {
            file = OracleFixtures.CASES.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow()
                    .writeModel(Files.createDirectories(dir.resolve(name)));
        }
        assertEquals(fx.modelSha256(), OracleFixtures.sha256(Files.readAllBytes(file)),
                name + ": the model written now is not the file bitnet.cpp ran (the generator changed?): remake the fixtures (OracleFixtures)");
        return file;
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("fixtures")
    void decodeRowsMatchBitnetCpp(String name, Numerics numerics) throws Exception {
        OracleFixtures.Fixture fx = OracleFixtures.Fixture.read(name);
        Path file = model(name, fx);
        try (Model m = Model.load(file, Model.Options.builder().threads(2).numerics(numerics).build()); Session s = m.newSession()) {
            int[] fed = fx.fed();
            List<Integer> notIdentical = new ArrayList<>();
            int agree = 0;
            for (int i = 0; i < fed.length; i++) {
                float[] mine = s.decode(fed[i]);
                OracleFixtures.Fixture.Row ref = fx.rows().get(i);
                if (!OracleFixtures.sha256(mine).equals(ref.sha256())) notIdentical.add(i);
                int top = LogitsDump.argmax(mine);
                float margin = ref.bestLogits()[0] - ref.bestLogits()[1];
                assertTrue(top == ref.bestIds()[0] || margin < 0.5, name + " row " + i + ": top-1 " + top + ", bitnet.cpp's " + ref.bestIds()[0] + " by " + margin);
                if (top == ref.bestIds()[0]) agree++;
                for (int j = 0; j < ref.bestIds().length; j++) {
                    float diff = Math.abs(mine[ref.bestIds()[j]] - ref.bestLogits()[j]);
                    assertTrue(diff <= 0.1 * ref.maxAbs(), name + " row " + i + ": logit of " + ref.bestIds()[j] + " off by " + diff);
                }
                // From the last prompt row on, the greedy token: equal there means free-running generation is bitnet.cpp's.
                // These random models' logits are small (max ~3, margins often < 0.05), so fast numerics must only
                // agree where the margin is clear; exact numerics everywhere.
                if (i >= fx.prompt().length - 1 && (numerics == Numerics.EXACT || margin >= 0.5))
                    assertEquals(fx.generated()[i - fx.prompt().length + 1], top, name + " row " + i + ": greedy token");
            }
            assertTrue(agree >= Math.ceil(0.97 * fed.length), name + ": top-1 agreed on " + agree + " of " + fed.length);
            if (numerics == Numerics.EXACT) assertTrue(notIdentical.isEmpty(), name + ": rows not bit-identical: " + notIdentical);
        }
    }
}
