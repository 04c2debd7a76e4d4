package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Progress: redrawn with an ETA on a terminal, periodic plain lines in a log, only the final line when quiet. */
class ProgressTest {
    static String run(Progress.Mode mode, long intervalNanos, ByteArrayOutputStream bytes) throws Exception {
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Progress p = new Progress(out, "scoring", mode, intervalNanos);
        Thread.sleep(20); // some time passes, so that an ETA can be estimated
        p.progress("chunks", 1, 4);
        p.progress("chunks", 2, 4);
        p.progress("chunks", 4, 4);
        p.done("4 chunks");
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logModePrintsPlainLinesWithAnEta() throws Exception {
        String s = run(Progress.Mode.LOG, 0, new ByteArrayOutputStream());
        assertFalse(s.contains("\r"), "no carriage returns in a log");
        var lines = s.lines().toList();
        assertEquals(3, lines.size(), s); // 25 %, 50 %, then the final line (100 % is left to it)
        assertTrue(lines.get(0).matches("scoring: chunks 25% \\(1 of 4\\), ETA \\d+:\\d\\d"), lines.get(0));
        assertEquals("scoring: 4 chunks", lines.get(2));
    }

    @Test
    void logModeWaitsBetweenLines() throws Exception {
        String s = run(Progress.Mode.LOG, 60_000_000_000L, new ByteArrayOutputStream());
        assertEquals("scoring: 4 chunks\n", s, "a minute between lines: only the final one in a short run");
    }

    @Test
    void terminalModeRedrawsOneLine() throws Exception {
        String s = run(Progress.Mode.TERMINAL, 0, new ByteArrayOutputStream());
        assertTrue(s.startsWith("\rscoring [") && s.contains("25% chunks, ETA "), s);
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), "one line in the end");
        assertTrue(s.endsWith("\rscoring: 4 chunks\n"), s);
    }

    @Test
    void quietModePrintsTheFinalLineOnly() throws Exception {
        assertEquals("scoring: 4 chunks\n", run(Progress.Mode.QUIET, 0, new ByteArrayOutputStream()));
    }
}
