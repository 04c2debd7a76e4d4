package io.bitnet4j.cli;

import io.bitnet4j.ProgressListener;
import io.bitnet4j.hub.ModelSource;
import io.bitnet4j.hub.Sizes;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Download progress on stderr: bytes, rate and time left. On a terminal a bar redrawn in place ten times a second;
 * elsewhere (a log, CI) one line every five seconds, so a long download is visibly alive without flooding the log.
 */
final class DownloadProgress implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long LOG_LINE_NANOS = 5_000_000_000L;
    private static final long RATE_WINDOW_NANOS = 1_000_000_000L;
    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;

    private String stage;
    private long stageStartedAt;
    private long stageStartBytes;
    private long lastDone;
    private long lastShownAt;
    private int drawnWidth;
    private double smoothedRate;
    private long rateSampleAt;
    private long rateSampleBytes;
    private long downloadStartedAt = -1;
    private long downloadedBytes;

    DownloadProgress(PrintStream out) {
        this(out, System.console() != null && System.console().isTerminal(), System::nanoTime);
    }

    DownloadProgress(PrintStream out, boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
    }

    @Override
    public synchronized void progress(String stage, long done, long total) {
        long now = clock.getAsLong();
        if (!stage.equals(this.stage)) startStage(stage, done, now);
        if (stage.startsWith("downloading")) downloadedBytes += Math.max(0, done - lastDone);
        lastDone = done;
        updateRate(done, now);
        if (terminal) {
            if (now - lastShownAt >= REDRAW_NANOS || done >= total) draw(done, total, now);
        } else if (now - lastShownAt >= LOG_LINE_NANOS) {
            out.println(stage + ": " + amounts(done, total, " of ")
                    + (total > 0 ? String.format(Locale.ROOT, " (%d %%)", done * 100 / total) : "") + speed(done, total, now, ", ", " left"));
            lastShownAt = now;
        }
    }

    /** The line that says what came of it: downloaded (how much, how fast) or found in the cache. */
    synchronized void finish(ModelSource.Resolved r) {
        clearBar();
        String what = r.repo() + "/" + r.file();
        if (r.downloaded() && downloadStartedAt >= 0) {
            double seconds = Math.max(1e-3, (clock.getAsLong() - downloadStartedAt) / 1e9);
            out.printf(Locale.ROOT, "%s: downloaded %s in %.1f s (%s/s)%n", what, Sizes.format(downloadedBytes), seconds,
                    Sizes.format((long) (downloadedBytes / seconds)));
        } else {
            out.println(what + ": " + Sizes.format(r.size()) + (r.downloaded() ? ", downloaded" : ", in the cache"));
        }
        if (r.notice() != null) out.println("note: " + r.notice());
    }

    synchronized void fail() {
        clearBar();
    }

    private void startStage(String stage, long done, long now) {
        clearBar();
        this.stage = stage;
        stageStartedAt = now;
        stageStartBytes = done;
        lastDone = done;
        rateSampleAt = now;
        rateSampleBytes = done;
        smoothedRate = 0;
        lastShownAt = terminal ? 0 : now; // a log gets its first line after five seconds: short stages stay quiet
        if (stage.startsWith("downloading") && downloadStartedAt < 0) downloadStartedAt = now;
    }

    /** Bytes per second, smoothed over one-second windows. */
    private void updateRate(long done, long now) {
        if (now - rateSampleAt < RATE_WINDOW_NANOS) return;
        double recent = (done - rateSampleBytes) * 1e9 / (now - rateSampleAt);
        smoothedRate = smoothedRate == 0 ? recent : 0.7 * smoothedRate + 0.3 * recent;
        rateSampleAt = now;
        rateSampleBytes = done;
    }

    /** The smoothed rate, or the stage's average until the first window closes. */
    private double rate(long done, long now) {
        if (smoothedRate > 0) return smoothedRate;
        return now > stageStartedAt ? (done - stageStartBytes) * 1e9 / (now - stageStartedAt) : 0;
    }

    private void draw(long done, long total, long now) {
        double fraction = total > 0 ? Math.min(1, (double) done / total) : 0;
        int filled = (int) Math.round(fraction * BAR_WIDTH);
        String line = String.format(Locale.ROOT, "%s [%s%s] %3d%% %s%s", stage, "#".repeat(filled), ".".repeat(BAR_WIDTH - filled),
                Math.round(fraction * 100), amounts(done, total, " / "), speed(done, total, now, "  ", ""));
        out.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
        out.flush();
        drawnWidth = line.length();
        lastShownAt = now;
    }

    private void clearBar() {
        if (terminal && drawnWidth > 0) {
            out.print("\r" + " ".repeat(drawnWidth) + "\r");
            out.flush();
        }
        drawnWidth = 0;
    }

    private static String amounts(long done, long total, String separator) {
        return Sizes.format(done) + (total > 0 ? separator + Sizes.format(total) : "");
    }

    /** ", 23.4 MB/s, 0:31 left" (or with other separators); empty until a rate is known. */
    private String speed(long done, long total, long now, String separator, String leftSuffix) {
        double rate = rate(done, now);
        if (rate <= 0) return "";
        String s = separator + Sizes.format((long) rate) + "/s";
        if (total > done) s += separator + (leftSuffix.isEmpty() ? "ETA " : "") + duration((long) ((total - done) / rate)) + leftSuffix;
        return s;
    }

    /** 0:07, 4:12, 1:05:02. */
    static String duration(long seconds) {
        long h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
