package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** README's LangChain4j example: the block there is the code of {@link #example()}, which runs here. */
class ReadmeExampleTest {

    /** Surefire runs this module's tests at the project root (see the pom), as a user of the README would. */
    private static final Path ROOT = Path.of(System.getProperty("bitnet4j.home", "."));

    static void example() {
        // README:begin
        interface Scribe {
            @SystemMessage("Thou art a scribe of the law.")
            String write(String text);
        }

        try (BitNetChatModel model = BitNetChatModel.builder()
                .modelPath("models/bitnet-kjv-4m.gguf")
                .temperature(0.0)
                .maxTokens(32)
                .build()) {
            Scribe scribe = AiServices.create(Scribe.class, model);
            System.out.println(scribe.write("And Moses said"));
        }
        // README:end
    }

    @Test
    void readmeShowsTheCodeThatRunsHere() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int section = readme.indexOf("\n## LangChain4j");
        assertTrue(section >= 0, "README has a LangChain4j section");
        int from = readme.indexOf("```java\n", section) + "```java\n".length();
        String block = readme.substring(from, readme.indexOf("```", from));

        List<String> source = Files.readAllLines(ROOT.resolve("bitnet4j-langchain4j/src/test/java/io/bitnet4j/langchain4j/ReadmeExampleTest.java"));
        List<String> lines = source.subList(indexOf(source, "// README:begin") + 1, indexOf(source, "// README:end"));
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        String code = String.join("\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList()) + "\n";
        assertEquals(code, block);

        String coordinates = readme.substring(readme.indexOf("```xml\n", section), from);
        assertTrue(coordinates.contains("<artifactId>bitnet4j-langchain4j</artifactId>\n  <version>"
                + System.getProperty("bitnet4j.version") + "</version>"), "the README names this version: " + coordinates);
    }

    @Test
    void theExampleRunsAndPrintsTheScribesGreedyReply() {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            example();
        } finally {
            System.setOut(out);
        }
        String expected = BundledModel.greedy(List.of(ChatTemplate.Message.system("Thou art a scribe of the law."),
                ChatTemplate.Message.user("And Moses said")), 32).text();
        assertTrue(!expected.isBlank());
        assertEquals(expected + System.lineSeparator(), printed.toString(StandardCharsets.UTF_8));
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).strip().equals(marker)) return i;
        throw new AssertionError(marker + " not found in " + Arrays.toString(lines.toArray()));
    }
}
