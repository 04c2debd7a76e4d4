package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.model.StageTimes.Stage;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-stage accounting of a pass: every weight byte counted once per token, every region counted, reset works. */
class StageTimesTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void write() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 5);
    }

    @Test
    void decodeStepsCountEveryWeightByteAndRegion() throws Exception {
        for (OutputType output : List.of(OutputType.F16, OutputType.Q4)) {
            try (Model m = Model.load(tiny, Model.Options.builder().threads(2).outputType(output).build());
                 Session s = m.newSession()) {
                s.prefill(new int[] {1, 2, 3});
                s.stageTimes().reset();
                for (int t = 0; t < 5; t++) s.decode(10 + t);
                StageTimes.Snapshot p = s.stageTimes().snapshot();
                assertEquals(5, p.passes());
                assertEquals(5, p.tokens());
                long matrixBytes = 0;
                for (Stage stage : Stage.values()) if (stage.matrix()) matrixBytes += p.bytes().get(stage);
                assertEquals(5 * m.weightBytesPerToken(), matrixBytes, output + ": bytes read by the matrix stages");
                // per layer: QKV, attention, O, gate+up, down; then the output projection
                assertEquals(5L * (5L * m.config().layers() + 1), p.regions(), output + ": parallel regions");
                for (Stage stage : List.of(Stage.QKV, Stage.ATTENTION, Stage.ATTENTION_OUTPUT, Stage.GATE_UP, Stage.DOWN, Stage.OUTPUT))
                    assertTrue(p.nanos().get(stage) > 0, output + ": " + stage + " took no time");
                assertTrue(p.totalNanos() > 0);
                s.stageTimes().reset();
                assertEquals(0, s.stageTimes().snapshot().totalNanos());
                assertEquals(0, s.stageTimes().snapshot().regions());
            }
        }
    }

    @Test
    void batchDecoderAccountsTokensOfAllSessions() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build());
             BatchDecoder batch = m.newBatchDecoder(4); Session a = m.newSession(); Session b = m.newSession()) {
            for (int step = 0; step < 3; step++) batch.step(List.of(a, b), new int[] {5 + step, 9 + step});
            StageTimes.Snapshot p = batch.stageTimes().snapshot();
            assertEquals(3, p.passes());
            assertEquals(6, p.tokens());
            assertEquals(0, a.stageTimes().snapshot().passes(), "a batch step is the decoder's pass, not the session's");
        }
    }

    @Test
    void emptyRegionIsMeasured() throws Exception {
        try (Model m = Model.load(tiny, Model.Options.builder().threads(2).build())) {
            assertTrue(m.measureEmptyRegionNanos(50) > 0);
        }
    }
}
