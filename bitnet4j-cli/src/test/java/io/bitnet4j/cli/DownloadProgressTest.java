package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.hub.ModelSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a download shows: in a log a line every five seconds with bytes, rate and time left; on a terminal a bar. */
class DownloadProgressTest {
    static final long SECOND = 1_000_000_000L;
    long now;
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    DownloadProgress progress(boolean terminal) {
        return new DownloadProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, () -> now);
    }

    String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** 10 MB/s for 12 seconds of a 200 MB file, one event per 100 ms, then the result. */
    void download(DownloadProgress p) {
        for (int tick = 0; tick <= 120; tick++) {
            now = tick * SECOND / 10;
            p.progress("downloading model.gguf", tick * 1_000_000L, 200_000_000L);
        }
        p.finish(new ModelSource.Resolved(Path.of("/cache/model.gguf"), "org/name", "model.gguf", "c".repeat(40), 120_000_000L, true, null));
    }

    @Test
    void aLogGetsALineEveryFiveSeconds() {
        download(progress(false));
        List<String> lines = output().lines().toList();
        assertEquals(List.of(
                "downloading model.gguf: 50.0 MB of 200 MB (25 %), 10.0 MB/s, 0:15 left",
                "downloading model.gguf: 100 MB of 200 MB (50 %), 10.0 MB/s, 0:10 left",
                "org/name/model.gguf: downloaded 120 MB in 12.0 s (10.0 MB/s)"), lines);
    }

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        download(progress(true));
        String out = output();
        assertTrue(out.contains("\rdownloading model.gguf [############............]  50% 100 MB / 200 MB  10.0 MB/s  ETA 0:10"), out);
        String last = out.substring(out.lastIndexOf('\r') + 1);
        assertEquals("org/name/model.gguf: downloaded 120 MB in 12.0 s (10.0 MB/s)\n", last, "the bar is cleared before the result");
    }

    @Test
    void aResumedDownloadCountsOnlyTheNewBytes() {
        DownloadProgress p = progress(false);
        for (int tick = 0; tick <= 20; tick++) {
            now = tick * SECOND / 10;
            p.progress("downloading model.gguf", 100_000_000L + tick * 1_000_000L, 200_000_000L);
        }
        p.finish(new ModelSource.Resolved(Path.of("/cache/model.gguf"), "org/name", "model.gguf", "c".repeat(40), 200_000_000L, true, null));
        assertEquals("org/name/model.gguf: downloaded 20.0 MB in 2.0 s (10.0 MB/s)\n", output());
    }

    @Test
    void aCachedModelSaysSoAndNotices() {
        DownloadProgress p = progress(false);
        p.finish(new ModelSource.Resolved(Path.of("/c/m.gguf"), "org/name", "m.gguf", "c".repeat(40), 1_190_000_000L, false,
                "cannot reach https://huggingface.co (unknown host huggingface.co); using the cached copy"));
        assertEquals("org/name/m.gguf: 1.19 GB, in the cache\nnote: cannot reach https://huggingface.co (unknown host huggingface.co); "
                + "using the cached copy\n", output());
    }

    @Test
    void durations() {
        assertEquals("0:07", DownloadProgress.duration(7));
        assertEquals("4:12", DownloadProgress.duration(252));
        assertEquals("1:05:02", DownloadProgress.duration(3902));
    }
}
