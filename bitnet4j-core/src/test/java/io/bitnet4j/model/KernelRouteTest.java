package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.VectorKernels;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One route to every ternary kernel: the options name an ISA and a kernel, and the backend that loads runs exactly
 * those (the ISA passed on every native call is the forced one, never "auto"), with logits bit-identical to I2_S on
 * the same ISA. Pairs without a kernel are refused when the options are built.
 */
class KernelRouteTest {
    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void writeModel() throws Exception {
        file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 7);
    }

    static List<Isa> forcedIsas() {
        return Arrays.stream(Isa.values()).filter(i -> i != Isa.BEST).toList();
    }

    @Test
    void isaConstantsAreTheNativeLibrarysList() {
        assumeTrue(NativeBackend.unavailableReason() == null, "native library not loaded here: " + NativeBackend.unavailableReason());
        assertEquals(NativeBackend.allIsas(), forcedIsas().stream().map(Isa::id).toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forcedIsas")
    void forcedIsaAndKernelAreTheOnesThatRun(Isa isa) throws Exception {
        assumeTrue(NativeBackend.supports(isa.id()), "ISA " + isa.id() + " is not supported by this CPU: skipped");
        float[] i2s = logits(options(isa, TernaryKernel.I2S), isa, "i2s");
        for (TernaryKernel lut : List.of(TernaryKernel.TL1, TernaryKernel.TL2)) {
            boolean hasKernel = isa == Isa.SCALAR || (lut == TernaryKernel.TL2 ? isa == Isa.AVX2 : isa == Isa.NEON || isa == Isa.NEON_DOTPROD);
            if (!hasKernel) {
                var e = assertThrows(IllegalArgumentException.class, () -> options(isa, lut));
                assertTrue(e.getMessage().contains("no " + isa.id() + " version"), e.getMessage());
                continue;
            }
            assertArrayEquals(i2s, logits(options(isa, lut), isa, lut.id()), lut.id() + " on " + isa.id() + " vs i2s on the same ISA");
        }
    }

    @Test
    void lookupTablesWithoutAForcedIsaRunOnTheLayoutsBestKernel() throws Exception {
        assumeTrue(NativeBackend.unavailableReason() == null, "native library not loaded here");
        Model.Options o = Model.Options.builder().threads(2).backend(Backend.NATIVE).ternaryKernel(TernaryKernel.TL2).build();
        try (Model m = Model.load(file, o)) {
            NativeBackend k = (NativeBackend) m.kernels();
            assertEquals(NativeBackend.supports("avx2") ? "avx2" : "scalar", k.ternaryIsa());
            assertTrue(m.kernelsDescription().contains("ternary tl2 on " + k.ternaryIsa()), m.kernelsDescription());
        }
    }

    @Test
    void vectorLookupTablesRunOnTheVectorBackend() throws Exception {
        Model.Options o = Model.Options.builder().threads(2).backend(Backend.VECTOR).ternaryKernel(TernaryKernel.VECTOR_LUT).build();
        float[] lut;
        try (Model m = Model.load(file, o); Session s = m.newSession()) {
            assertTrue(m.kernels() instanceof VectorKernels);
            assertEquals("vector-lut", m.kernels().ternaryKernel());
            lut = s.prefill(new int[] {1, 2, 3}).clone();
        }
        try (Model m = Model.load(file, o.toBuilder().ternaryKernel(TernaryKernel.I2S).build()); Session s = m.newSession()) {
            assertArrayEquals(s.prefill(new int[] {1, 2, 3}), lut);
        }
    }

    @Test
    void impossibleCombinationsAreRefusedWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().backend(Backend.VECTOR).isa(Isa.AVX2).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().backend(Backend.JAVA).ternaryKernel(TernaryKernel.TL2).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().backend(Backend.NATIVE).ternaryKernel(TernaryKernel.VECTOR_LUT).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().numerics(Numerics.EXACT).outputType(OutputType.Q4).build());
        var e = assertThrows(IllegalArgumentException.class, () -> Isa.parse("avx9"));
        assertTrue(e.getMessage().contains("avx512-vnni"), "lists the choices: " + e.getMessage());
    }

    private static Model.Options options(Isa isa, TernaryKernel kernel) {
        return Model.Options.builder().threads(2).backend(Backend.NATIVE).isa(isa).ternaryKernel(kernel).build();
    }

    /** Prefill logits of a fixed prompt, after checking the loaded backend runs the forced ISA and kernel. */
    private static float[] logits(Model.Options o, Isa isa, String kernel) throws Exception {
        try (Model m = Model.load(file, o); Session s = m.newSession()) {
            NativeBackend k = (NativeBackend) m.kernels();
            assertEquals(isa.id(), k.isa());
            assertEquals(isa.id(), k.ternaryIsa());
            assertTrue(k.ternaryKernel().startsWith(kernel), k.ternaryKernel());
            return s.prefill(new int[] {1, 5, 9, 13}).clone();
        }
    }
}
