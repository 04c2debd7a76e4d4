package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decode loop allocates nothing on the heap once warm, on any thread (caller or workers). Measured in a
 * fresh JVM per backend, as a user runs it: inside the shared test JVM, other tests have driven the Vector
 * API kernels at several widths, and the JIT's code for those call sites is not what a real run gets.
 */
class AllocationTest {
    @TempDir
    Path dir;

    @Test
    void decodeStepsDoNotAllocate() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 5);
        for (String backend : new String[] {"native", "vector"}) {
            long perStep = measureInFreshJvm(file, backend);
            System.out.printf("%s backend: %d bytes allocated per decode step%n", backend, perStep);
            assertTrue(perStep < 512, backend + ": " + perStep + " bytes allocated per decode step");
        }
    }

    static long measureInFreshJvm(Path model, String backend) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), model.toString(), backend)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), "probe failed: " + out);
        return Long.parseLong(out.substring(out.lastIndexOf('\n') + 1).strip());
    }

    /** Child-JVM entry point: warms up, then prints the bytes allocated per decode step over all threads. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            try (Model m = Model.load(Path.of(args[0]), Model.Options.builder().threads(2).backend(Backend.parse(args[1])).build());
                 Session s = m.newSession()) {
                for (int i = 0; i < 4000; i++) { // warm up: C2 compiles the loop and the Vector API intrinsics
                    if (s.position() + 1 >= s.contextLength()) s.reset();
                    s.decode(i % 500);
                }
                s.reset();
                int steps = 200;
                long before = allocatedByAllThreads();
                for (int i = 0; i < steps; i++) s.decode(i % 500);
                System.out.println((allocatedByAllThreads() - before) / steps);
            }
        }

        static long allocatedByAllThreads() {
            var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long total = 0;
            for (long a : bean.getThreadAllocatedBytes(bean.getAllThreadIds())) if (a > 0) total += a;
            return total;
        }
    }
}
