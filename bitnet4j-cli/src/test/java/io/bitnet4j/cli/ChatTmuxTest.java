package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * chat on a real terminal (tmux): type a message, Ctrl+C while the reply streams, type another (the conversation
 * goes on), Ctrl+D to leave. The replies are long (--ignore-eos, -n -1, a 4096-token context, the scalar Java
 * kernels) so that Ctrl+C lands mid-reply.
 */
class ChatTmuxTest {
    @TempDir
    Path dir;

    private final String session = "bitnet4j-chat-test-" + ProcessHandle.current().pid();

    @Test
    void ctrlCStopsTheReplyAndKeepsTheConversation() throws Exception {
        Assumptions.assumeTrue(tmuxInstalled(), "tmux is not installed: the terminal chat test is skipped (.ci/run installs it)");
        Path model = dir.resolve("long-context.gguf");
        SyntheticModel.write(model, new SyntheticModel.Spec("bitnet-b1.58", 512, 256, 2, 4, 1, 768, 4096, 500000f, 1e-5f), null, 3);
        Path saved = dir.resolve("conversation.json");
        String java = ChildJvm.command(entry -> true, "io.bitnet4j.cli.Main", "chat", "-m", model.toString(), "-t", "1", "-c", "4096",
                "-n", "-1", "--ignore-eos", "--kernel", "java", "--seed", "2", "--no-progress").stream()
                .map(ChatTmuxTest::quote).collect(Collectors.joining(" "));
        tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "60", java + "; echo EXITED $?; sleep 60");
        try {
            await("the prompt", s -> s.contains("Ctrl+D or /exit leaves") && lastLine(s).equals(">"));
            type("hello there");
            await("the reply streaming", s -> textAfter(s, "> hello there").length() > 20);
            tmux("send-keys", "-t", session, "C-c");
            await("the reply stopped", s -> s.contains("stop: cancelled") && lastLine(s).equals(">"));

            type("and now");
            await("the second reply streaming", s -> textAfter(s, "> and now").length() > 20);
            tmux("send-keys", "-t", session, "C-c");
            await("the second reply stopped", s -> count(s, "stop: cancelled") == 2 && lastLine(s).equals(">"));

            type("/save " + saved);
            // Ctrl+D only once the line reader reads again: sent between two reads it reaches the terminal's cooked mode
            await("the conversation saved", s -> s.contains("(saved 4 messages") && lastLine(s).equals(">"));
            tmux("send-keys", "-t", session, "C-d");
            await("the chat ended", s -> s.contains("EXITED 0"));

            JsonNode messages = new ObjectMapper().readTree(saved.toFile()).get("messages");
            assertEquals(List.of("user", "assistant", "user", "assistant"), messages.findValuesAsText("role"));
            assertEquals("and now", messages.get(2).get("content").asText());
            assertFalse(messages.get(3).get("content").asText().isEmpty(), "the stopped reply is kept as far as it went");
            String screen = pane();
            // The second prompt fed only the new message after the first (stopped) reply: more tokens than the message
            // alone would be if the conversation had been dropped, and the session was not reset.
            assertFalse(screen.contains("starting over"), screen);
        } finally {
            tmux("kill-session", "-t", session);
        }
    }

    private void type(String text) throws Exception {
        tmux("send-keys", "-t", session, "-l", text);
        tmux("send-keys", "-t", session, "Enter");
    }

    private void await(String what, Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = pane();
            if (condition.test(screen)) return;
            Thread.sleep(100);
        }
        throw new AssertionError("waited 60 s for " + what + "; the screen:\n" + screen);
    }

    private String pane() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-S", "-2000", "-t", session);
    }

    static String lastLine(String screen) {
        List<String> lines = screen.lines().map(String::stripTrailing).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "" : lines.getLast();
    }

    static String textAfter(String screen, String marker) {
        int at = screen.lastIndexOf(marker);
        return at < 0 ? "" : screen.substring(at + marker.length()).strip();
    }

    static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    static String quote(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    static boolean tmuxInstalled() {
        try {
            return new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String tmux(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("tmux"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putIfAbsent("TERM", "xterm"); // CI runs without one; tmux gives the pane its own
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        return out;
    }
}
