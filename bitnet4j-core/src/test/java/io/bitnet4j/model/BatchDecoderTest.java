package io.bitnet4j.model;

import io.bitnet4j.synthetic.SyntheticModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several sessions decoding in one pass give what each gives alone. */
class BatchDecoderTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void write() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 21);
    }

    @Test
    void batchedStepsMatchEachSessionAlone() throws Exception {
        int sessions = 5, steps = 12;
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build())) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> alone = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                prompts.add(ModelTest.randomTokens(3 + 2 * i, 512, 40 + i)); // different lengths: different positions
                alone.add(ModelTest.greedy(m, prompts.get(i), steps));
            }
            List<Session> open = new ArrayList<>();
            int[] next = new int[sessions];
            int[][] got = new int[sessions][steps];
            try (BatchDecoder batch = m.newBatchDecoder(8)) {
                for (int i = 0; i < sessions; i++) {
                    open.add(m.newSession());
                    next[i] = LogitsDump.argmax(open.get(i).prefill(prompts.get(i)));
                }
                for (int step = 0; step < steps; step++) {
                    for (int i = 0; i < sessions; i++) got[i][step] = next[i];
                    float[][] logits = batch.step(open, next);
                    for (int i = 0; i < sessions; i++) next[i] = LogitsDump.argmax(logits[i]);
                }
                for (int i = 0; i < sessions; i++) {
                    assertArrayEquals(alone.get(i), got[i], "session " + i);
                    assertEquals(prompts.get(i).length + steps, open.get(i).position());
                }
            } finally {
                open.forEach(Session::close);
            }
        }
    }

    @Test
    void sessionsJoinAndLeaveBetweenSteps() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build());
             BatchDecoder batch = m.newBatchDecoder(4); Session a = m.newSession(); Session b = m.newSession()) {
            batch.step(List.of(a), new int[] {1});
            batch.step(List.of(a, b), new int[] {2, 3});
            batch.step(List.of(b), new int[] {4});
            assertEquals(2, a.position());
            assertEquals(2, b.position());
        }
    }

    @Test
    void badStepsChangeNothing() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build()); BatchDecoder batch = m.newBatchDecoder(2);
             Session a = m.newSession(4); Session b = m.newSession()) {
            assertThrows(IllegalArgumentException.class, () -> batch.step(List.of(a, a), new int[] {1, 2}));
            assertThrows(IllegalArgumentException.class, () -> batch.step(List.of(a, b), new int[] {1}));
            assertThrows(IllegalArgumentException.class, () -> batch.step(List.of(a, b), new int[] {1, 9999}));
            assertThrows(IllegalArgumentException.class, () -> batch.step(List.of(a, b, m.newSession()), new int[] {1, 2, 3}));
            a.prefill(new int[] {1, 2, 3, 4});
            var e = assertThrows(ContextOverflowException.class, () -> batch.step(List.of(b, a), new int[] {1, 2}));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
            assertEquals(0, b.position(), "no session advances when the step is refused");
            b.close();
            assertThrows(IllegalStateException.class, () -> batch.step(List.of(b), new int[] {1}));
        }
    }
}
