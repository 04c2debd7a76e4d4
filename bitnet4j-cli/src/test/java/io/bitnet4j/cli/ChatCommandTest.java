package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** chat's commands and multi-line input, through stdin (the terminal side is ChatTmuxTest's). */
class ChatCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
    }

    static CliTest.Run chat(String stdin, String... extra) {
        String[] base = {"chat", "-m", model.toString(), "-t", "1", "-n", "6", "--seed", "4", "--no-progress"};
        return CliTest.run(stdin, GenerateCommandTest.concat(base, extra));
    }

    @Test
    void saveAndLoadKeepTheConversation() throws Exception {
        Path saved = dir.resolve("conversation.json");
        CliTest.Run first = chat("hello\nline one\\\nline two\n/save " + saved + "\n/exit\n", "--system", "be brief");
        assertEquals(0, first.code(), first.err());
        JsonNode json = new ObjectMapper().readTree(saved.toFile());
        JsonNode messages = json.get("messages");
        assertEquals(5, messages.size(), json.toString()); // system, then two user/assistant pairs
        assertEquals("system", messages.get(0).get("role").asText());
        assertEquals("be brief", messages.get(0).get("content").asText());
        assertEquals("line one\nline two", messages.get(3).get("content").asText(), "a trailing backslash continues the message");
        assertEquals("assistant", messages.get(4).get("role").asText());
        assertTrue(first.err().contains("(saved 5 messages to " + saved + ")"), first.err());

        // Loaded, the conversation is fed with the next message: its prompt holds every earlier token.
        CliTest.Run loaded = chat("/load " + saved + "\nand then\n/exit\n");
        assertEquals(0, loaded.code(), loaded.err());
        int tokens = Integer.parseInt(GenerateCommandTest.group(loaded.err(), "\\(loaded 5 messages, (\\d+) tokens"));
        int prompt = Integer.parseInt(GenerateCommandTest.group(loaded.err(), "prompt: (\\d+) tokens"));
        assertTrue(prompt > tokens, prompt + " prompt tokens after loading " + tokens);
        CliTest.Run fresh = chat("and then\n/exit\n");
        assertTrue(Integer.parseInt(GenerateCommandTest.group(fresh.err(), "prompt: (\\d+) tokens")) < prompt, fresh.err());
    }

    @Test
    void clearForgetsTheConversation() {
        CliTest.Run r = chat("hello\n/clear\nhello\n/exit\n");
        assertEquals(0, r.code(), r.err());
        var prompts = java.util.regex.Pattern.compile("prompt: (\\d+) tokens").matcher(r.err()).results().map(m -> m.group(1)).toList();
        assertEquals(2, prompts.size(), r.err());
        assertEquals(prompts.get(0), prompts.get(1), "after /clear the same message costs the same prompt: nothing earlier is fed");
        assertTrue(r.err().contains("(conversation cleared)"), r.err());
    }

    @Test
    void badFilesAreReportedAndTheChatGoesOn() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.json"), "{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}");
        CliTest.Run r = chat("/load " + junk + "\n/load " + dir.resolve("missing.json") + "\n/save\nhi\n/exit\n");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("(cannot load " + junk + ": unknown chat role 'robot')"), r.err());
        assertTrue(r.err().contains("(cannot read ") || r.err().contains("(cannot load " + dir.resolve("missing.json")), r.err());
        assertTrue(r.err().contains("(/save needs a file name)"), r.err());
        assertTrue(r.err().contains("generated:"), "the chat went on: " + r.err());
    }
}
