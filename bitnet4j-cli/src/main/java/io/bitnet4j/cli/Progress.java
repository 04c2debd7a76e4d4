package io.bitnet4j.cli;

import io.bitnet4j.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long work on stderr. On a terminal: one line redrawn in place, with a bar, the percentage and an
 * estimate of the time left. Elsewhere (a log, a pipe, CI): a plain line every few seconds, so a long run is
 * visibly alive without flooding the log. Off with {@code --no-progress}: only the final line.
 */
final class Progress implements ProgressListener {
    private static final int WIDTH = 30;
    private static final long LOG_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final String label;
    private final Mode mode;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastLine = start;
    private boolean drawn;

    enum Mode { TERMINAL, LOG, QUIET }

    Progress(PrintStream out, String label, boolean enabled) {
        this(out, label, !enabled ? Mode.QUIET : Tty.stderrIsTerminal() ? Mode.TERMINAL : Mode.LOG, LOG_INTERVAL_NANOS);
    }

    Progress(PrintStream out, String label, Mode mode, long intervalNanos) {
        this.out = out;
        this.label = label;
        this.mode = mode;
        this.intervalNanos = intervalNanos;
    }

    @Override
    public synchronized void progress(String stage, long done, long total) {
        double fraction = total <= 0 ? 1 : Math.max(0, Math.min(1, (double) done / total));
        long now = System.nanoTime();
        switch (mode) {
            case TERMINAL -> {
                int filled = (int) Math.round(fraction * WIDTH);
                out.printf(Locale.ROOT, "\r%s [%s%s] %3.0f%% %s%s   ", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                        fraction * 100, stage, eta(fraction, now));
                out.flush();
                drawn = true;
            }
            case LOG -> {
                if (now - lastLine < intervalNanos || fraction >= 1) return; // the final line comes from done()
                lastLine = now;
                out.printf(Locale.ROOT, "%s: %s %.0f%% (%,d of %,d)%s%n", label, stage, fraction * 100, done, total, eta(fraction, now));
            }
            case QUIET -> {}
        }
    }

    /** ", ETA 1:05" once a few percent are done (earlier estimates are noise), else "". */
    private String eta(double fraction, long now) {
        if (fraction < 0.02 || fraction >= 1) return "";
        long left = Math.round((now - start) / 1e9 * (1 - fraction) / fraction);
        return String.format(Locale.ROOT, ", ETA %d:%02d", left / 60, left % 60);
    }

    /** Ends the progress with one line: "label: message". */
    synchronized void done(String message) {
        if (drawn) out.print("\r" + " ".repeat(label.length() + WIDTH + 40) + "\r");
        out.println(label + ": " + message);
    }

    /** Ends the progress line (on a terminal) before an error message is printed. */
    synchronized void fail() {
        if (drawn) out.println();
    }

    /** Seconds since this progress started. */
    double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
