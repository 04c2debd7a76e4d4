package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decode loop allocates nothing on the heap once warm, on any thread (caller or workers). */
class AllocationTest {
    @TempDir
    Path dir;

    static long allocatedByAllThreads() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = bean.getAllThreadIds();
        long total = 0;
        for (long a : bean.getThreadAllocatedBytes(ids)) if (a > 0) total += a;
        return total;
    }

    @Test
    void decodeStepsDoNotAllocate() throws Exception {
        Path file = dir.resolve("tiny.gguf");
        SyntheticModel.write(file, SyntheticModel.Spec.tiny(), null, 5);
        for (String backend : List.of("native", "vector")) {
            try (Model m = Model.load(file, Model.Options.defaults().withThreads(2).withBackend(backend)); Session s = m.newSession()) {
                for (int i = 0; i < 2000; i++) { // warm up: C2 compiles the loop and the Vector API intrinsics
                    if (s.position() + 1 >= s.contextLength()) s.reset();
                    s.decode(i % 500);
                }
                s.reset();
                int steps = 200;
                long before = allocatedByAllThreads();
                for (int i = 0; i < steps; i++) s.decode(i % 500);
                long perStep = (allocatedByAllThreads() - before) / steps;
                System.out.printf("%s backend: %d bytes allocated per decode step%n", backend, perStep);
                assertTrue(perStep < 512, backend + ": " + perStep + " bytes allocated per decode step");
            }
        }
    }
}
