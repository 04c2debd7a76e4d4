package io.bitnet4j.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the user is watching: decides between redrawn progress bars and plain log lines. */
final class Tty {
    private Tty() {}

    /**
     * True when stdin, stdout and stderr are a terminal. On JDK 22+ {@code System.console()} is not null even
     * when the streams are redirected, so {@code isTerminal()} is asked; it looks at stdin and stdout only, so on
     * Linux stderr is checked too (through /proc), lest a bar redrawn with carriage returns land in a log file.
     */
    static boolean stderrIsTerminal() {
        Console console = System.console();
        if (console == null || !console.isTerminal()) return false;
        Path fd2 = Path.of("/proc/self/fd/2");
        if (!Files.isSymbolicLink(fd2)) return true; // no /proc (macOS): trust isTerminal()
        try {
            String target = Files.readSymbolicLink(fd2).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException e) {
            return true;
        }
    }

    /** True when the interactive streams (stdin and stdout) are a terminal: line editing makes sense. */
    static boolean interactive() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }
}
