package io.bitnet4j.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn in place on a terminal; elsewhere only the final line. */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final boolean terminal = System.console() != null;

    Progress(PrintStream out, String label) {
        this.out = out;
        this.label = label;
    }

    void update(String stage, long done, long total) {
        update(stage, total <= 0 ? 1 : (double) done / total);
    }

    void update(String stage, double fraction) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
        if (terminal) {
            out.printf("\r%s [%s%s] %3.0f%% %s   ", label, "#".repeat(filled), ".".repeat(WIDTH - filled), fraction * 100, stage);
            out.flush();
        }
        // not a terminal (a log, a pipe): only the final line, from done()
    }

    void done(String message) {
        out.println((terminal ? "\r" + " ".repeat(label.length() + WIDTH + 24) + "\r" : "") + label + ": " + message);
    }

    void fail() {
        if (terminal) out.println();
    }
}
