package io.bitnet4j.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn in place on a terminal and printed once per 10 % otherwise. */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private final String label;
    private final boolean terminal = System.console() != null;
    private int lastTenth = -1;
    private String lastStage = "";

    Progress(PrintStream out, String label) {
        this.out = out;
        this.label = label;
    }

    void update(String stage, double fraction) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
        if (terminal) {
            out.printf("\r%s [%s%s] %3.0f%% %s   ", label, "#".repeat(filled), ".".repeat(WIDTH - filled), fraction * 100, stage);
            out.flush();
        } else {
            int tenth = (int) (fraction * 10);
            if (tenth != lastTenth || !stage.equals(lastStage)) {
                if (tenth == 10 || tenth % 5 == 0 || !stage.equals(lastStage)) out.printf("%s: %s %d%%%n", label, stage, tenth * 10);
                lastTenth = tenth;
                lastStage = stage;
            }
        }
    }

    void done(String message) {
        out.println((terminal ? "\r" + " ".repeat(label.length() + WIDTH + 24) + "\r" : "") + label + ": " + message);
    }

    void fail() {
        if (terminal) out.println();
    }
}
