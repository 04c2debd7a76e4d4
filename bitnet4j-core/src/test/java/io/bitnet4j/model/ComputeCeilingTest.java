package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compute ceiling bench reports: MACs per token from the shapes, the MAC loop's rate where there is one. */
class ComputeCeilingTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void write() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 5);
    }

    @Test
    void macsPerTokenAreTheProjectionShapes() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().backend(Backend.JAVA).build())) {
            ModelConfig c = m.config();
            long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
            long perLayer = c.dim() * (q + 2 * kv) + q * c.dim() + 2L * c.dim() * c.ffnDim() + (long) c.ffnDim() * c.dim();
            assertEquals(c.layers() * perLayer, m.ternaryMacsPerToken());
        }
    }

    @Test
    void nativeIsasHaveARateTheJavaBackendsNone() throws Exception {
        try (Model java = Model.load(tiny, Model.Options.builder().backend(Backend.JAVA).build())) {
            assertEquals(0, java.measureInt8MacsPerSecond(5));
            assertThrows(IllegalArgumentException.class, () -> java.measureInt8MacsPerSecond(0));
        }
        Assumptions.assumeTrue(NativeBackend.unavailableReason() == null,
                () -> "native kernels unavailable: " + NativeBackend.unavailableReason());
        for (String isa : NativeBackend.supportedIsas()) {
            try (Model m = Model.load(tiny, Model.Options.builder().backend(Backend.NATIVE).isa(Isa.parse(isa)).threads(2).build())) {
                double rate = m.measureInt8MacsPerSecond(20);
                // loose: a loaded 2-core machine still does far more than 10^7 multiply-adds per second
                assertTrue(rate > 1e7 && Double.isFinite(rate), isa + ": " + rate + " MAC/s");
            }
        }
    }
}
