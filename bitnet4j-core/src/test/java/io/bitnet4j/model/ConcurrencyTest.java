package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8 item 4: many sessions on one Model, and closing things underneath a generating thread. */
class ConcurrencyTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void writeModel() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 7);
    }

    @Test
    void eightParallelSessionsMatchTheirSerialRuns() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build());
             ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<int[]> prompts = new ArrayList<>(), serial = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                prompts.add(ModelTest.randomTokens(6 + i, 512, 200 + i)); // different lengths: different batch shapes
                serial.add(ModelTest.greedy(m, prompts.get(i), 12));
            }
            // All 8 start together (latch) so their steps really interleave on the shared worker pool.
            CountDownLatch start = new CountDownLatch(1);
            List<Future<int[]>> futures = new ArrayList<>();
            for (int[] p : prompts) futures.add(pool.submit(() -> {
                start.await();
                return ModelTest.greedy(m, p, 12);
            }));
            start.countDown();
            for (int i = 0; i < 8; i++) assertArrayEquals(serial.get(i), futures.get(i).get(120, TimeUnit.SECONDS), "session " + i);
        }
    }

    @Test
    void closingASessionWhileItsOwnerGeneratesIsSafe() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build())) {
            Session s = m.newSession(512);
            AtomicInteger steps = new AtomicInteger();
            CountDownLatch running = new CountDownLatch(1);
            Thread gen = Thread.ofPlatform().start(() -> {
                try {
                    // Far more steps than the close needs: the session lock is not fair, so the closer may wait a
                    // few steps; resetting keeps the session inside its context so only the close can stop it.
                    for (int i = 0; i < 100_000; i++) {
                        if (s.position() >= 500) s.reset();
                        s.decode(i % 512);
                        steps.incrementAndGet();
                        running.countDown();
                    }
                } catch (IllegalStateException e) {
                    // the documented outcome: the next step after close reports it
                    if (!e.getMessage().contains("session closed")) throw e;
                }
            });
            assertTrue(running.await(60, TimeUnit.SECONDS));
            s.close(); // waits for the running step (it owns the buffers), then frees them
            gen.join(60_000);
            assertTrue(!gen.isAlive());
            int done = steps.get();
            assertTrue(done >= 1 && done < 100_000, "closed mid-generation after " + done + " steps");
            var e = assertThrows(IllegalStateException.class, () -> s.decode(1));
            assertTrue(e.getMessage().contains("session closed"), e.getMessage());
            // The model and other sessions are unaffected.
            try (Session other = m.newSession(16)) {
                assertEquals(512, other.decode(1).length);
            }
        }
    }

    @Test
    void closingTheModelUnderEightGeneratingSessionsIsReportedToEach() throws Exception {
        Model m = Model.load(tiny, Model.Options.builder().threads(2).build());
        List<Session> sessions = new ArrayList<>();
        for (int i = 0; i < 8; i++) sessions.add(m.newSession(512));
        AtomicInteger reported = new AtomicInteger();
        CountDownLatch allRunning = new CountDownLatch(8);
        List<Thread> threads = new ArrayList<>();
        for (Session s : sessions) threads.add(Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 10_000; i++) {
                    s.decode(i % 512);
                    if (i == 0) allRunning.countDown();
                    if (s.position() >= 500) s.reset(); // stay inside the context: only the close may stop us
                }
            } catch (IllegalStateException e) {
                if (e.getMessage().contains("model closed")) reported.incrementAndGet();
                else throw e;
            }
        }));
        assertTrue(allRunning.await(60, TimeUnit.SECONDS));
        m.close();
        for (Thread t : threads) t.join(60_000);
        assertEquals(8, reported.get(), "every generating session sees 'model closed'");
        for (Session s : sessions) s.close();
    }
}
