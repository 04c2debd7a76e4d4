package io.bitnet4j.cli;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Where chat messages come from. On a terminal: JLine (line editing, history with the arrow keys, Ctrl+C to stop
 * a reply, Ctrl+D to leave), drawing the prompt and the typed text on stderr so that stdout holds only the
 * model's replies. Otherwise (a pipe, a file): plain lines from stdin.
 *
 * <p>A message continues on the next line while a line ends with a backslash (the backslash is dropped, the line
 * break kept), as in llama-cli.
 */
abstract sealed class ChatInput implements Closeable {
    static final String PROMPT = "> ", CONTINUATION = "... ";

    /** Set by Ctrl+C while a reply is being generated; the reply stops at its next token. */
    final AtomicBoolean interrupted = new AtomicBoolean();

    /** The next message (possibly several lines), or null at the end of input (Ctrl+D). */
    String readMessage() throws IOException {
        String line = readLine(PROMPT);
        if (line == null) return null;
        StringBuilder message = new StringBuilder();
        while (line.endsWith("\\")) {
            message.append(line, 0, line.length() - 1).append('\n');
            line = readLine(CONTINUATION);
            if (line == null) break;
        }
        if (line != null) message.append(line);
        return message.toString();
    }

    /** One line, or null at the end of input. */
    abstract String readLine(String prompt) throws IOException;

    /** True when Ctrl+C can stop a reply (a terminal), so the help line can say so. */
    abstract boolean interactive();

    static ChatInput open(PrintStream err) throws IOException {
        return Tty.interactive() ? new Console(err) : new Lines(err);
    }

    /** JLine on the terminal, its output on stderr. */
    static final class Console extends ChatInput {
        private final Terminal terminal;
        private final LineReader reader;

        Console(PrintStream err) throws IOException {
            terminal = TerminalBuilder.builder().system(true).systemOutput(TerminalBuilder.SystemOutput.SysErr).dumb(true).build();
            // Outside readLine the terminal is in its normal mode: Ctrl+C arrives as SIGINT, here.
            terminal.handle(Terminal.Signal.INT, signal -> interrupted.set(true));
            reader = LineReaderBuilder.builder().terminal(terminal).appName("bitnet4j").build();
        }

        @Override
        String readLine(String prompt) {
            while (true) {
                try {
                    return reader.readLine(prompt);
                } catch (UserInterruptException e) {
                    // Ctrl+C at the prompt drops the line being typed, as a shell does; Ctrl+D leaves.
                } catch (EndOfFileException e) {
                    return null;
                }
            }
        }

        @Override
        boolean interactive() {
            return true;
        }

        @Override
        public void close() throws IOException {
            terminal.close();
        }
    }

    /** Lines from stdin; the prompt on stderr. */
    static final class Lines extends ChatInput {
        private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        private final PrintStream err;

        Lines(PrintStream err) {
            this.err = err;
        }

        @Override
        String readLine(String prompt) throws IOException {
            err.print(prompt);
            err.flush();
            return in.readLine();
        }

        @Override
        boolean interactive() {
            return false;
        }

        @Override
        public void close() {}
    }
}
