package io.bitnet4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.hub.FakeHub;
import io.bitnet4j.hub.Sizes;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -hf}, {@code pull} and {@code models} against a loopback imitation of the hub, with HF_HUB_CACHE at a fresh
 * folder: once in a separate JVM exactly as a user runs it, otherwise in-process.
 */
class HubCliTest {
    static final String REPO = "org/tiny-bitnet-gguf";
    static final String FILE = "tiny-i2_s.gguf";

    @TempDir
    static Path dir;
    static FakeHub hub;
    static byte[] gguf;

    @BeforeAll
    static void startHub() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 3);
        gguf = Files.readAllBytes(model);
        hub = FakeHub.start().addFile(REPO, FILE, gguf, true).addFile(REPO, "README.md", "tiny\n".getBytes(StandardCharsets.UTF_8), false);
    }

    @AfterAll
    static void stopHub() {
        hub.close();
    }

    record Run(int code, String out, String err) {}

    static Run bitnet4j(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-XX:+UseSerialGC",
                "-Dbitnet4j.home=" + System.getProperty("bitnet4j.home", "."),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("HF_"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bitnet4j " + String.join(" ", args) + " hung");
        // as the launcher does, without the JVM's notice about the incubating Vector API
        String errText = Files.readString(err).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        return new Run(p.exitValue(), Files.readString(out), errText);
    }

    /** The user's path, in a separate JVM: the variables as a shell sets them, the model downloaded, text generated. */
    @Test
    void generateWithHfDownloadsTheModelAndRunsIt(@TempDir Path cache) throws Exception {
        Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_CACHE", cache.toString());
        Run run = bitnet4j(env, "generate", "-hf", REPO, "-p", "the cat", "-n", "4", "--seed", "1");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().startsWith("the cat"), run.out());
        assertTrue(run.err().contains(REPO + "/" + FILE + ": downloaded " + Sizes.format(gguf.length)), run.err());
        assertTrue(run.err().contains("tokens/s"), run.err());
        assertTrue(Files.isSymbolicLink(cache.resolve("models--org--tiny-bitnet-gguf/snapshots/" + hub.commit(REPO) + "/" + FILE)));
    }

    @Test
    void pullModelsAndOfflineRunsShareTheCache(@TempDir Path cache) throws Exception {
        withEnvironment(Map.of("HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_CACHE", cache.toString()));
        var none = CliTest.run("", "models");
        assertEquals(0, none.code(), none.err());
        assertTrue(none.out().contains("no GGUF models cached"), none.out());

        var pull = CliTest.run("", "pull", REPO + ":i2_s");
        assertEquals(0, pull.code(), pull.err());
        Path file = Path.of(pull.out().strip());
        assertEquals(cache.resolve("models--org--tiny-bitnet-gguf/snapshots/" + hub.commit(REPO) + "/" + FILE), file);
        assertTrue(pull.err().startsWith(REPO + "/" + FILE + ": downloaded"), pull.err());
        var again = CliTest.run("", "pull", REPO);
        assertEquals(file.toString(), again.out().strip());
        assertEquals(REPO + "/" + FILE + ": " + Sizes.format(gguf.length) + ", in the cache", again.err().strip());

        var models = CliTest.run("", "models");
        assertEquals(0, models.code(), models.err());
        assertTrue(models.out().startsWith("cache: " + cache), models.out());
        assertTrue(models.out().lines().anyMatch(l -> l.startsWith(REPO) && l.contains(FILE) && l.contains(Sizes.format(gguf.length))
                && l.contains("main (" + hub.commit(REPO).substring(0, 7) + ")")), models.out());
        assertTrue(models.out().contains("  " + file + "\n"), models.out());

        // offline: with the flag and no hub at all, then with the variable
        withEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:1", "HF_HUB_CACHE", cache.toString()));
        var info = CliTest.run("", "info", "--offline", "-hf", REPO);
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("== tensors"), info.out());
        withEnvironment(Map.of("HF_HUB_OFFLINE", "1", "HF_HUB_CACHE", cache.toString()));
        var tokenize = CliTest.run("", "tokenize", "--hf-repo", REPO, "--hf-file", FILE,
                "--input", write("texts.txt", "hello world\n__ggml_vocab_test__\n"), "--output", dir.resolve("ids.txt").toString());
        assertEquals(0, tokenize.code(), tokenize.err());
        assertEquals(1, Files.readAllLines(dir.resolve("ids.txt")).size());
    }

    @Test
    void errorsAreOneLineAndNameTheFix(@TempDir Path cache) throws Exception {
        withEnvironment(Map.of("HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_CACHE", cache.toString()));
        var missing = CliTest.run("", "pull", "org/does-not-exist");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("bitnet4j: repository org/does-not-exist not found on " + hub.endpoint()), missing.err());
        assertTrue(missing.err().contains("HF_TOKEN") && missing.err().contains("--hf-token"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());

        var offline = CliTest.run("", "generate", "--offline", "-hf", REPO, "-p", "x");
        assertEquals(1, offline.code());
        assertTrue(offline.err().contains("is not in the cache") && offline.err().contains("offline"), offline.err());
        assertEquals(1, offline.err().strip().lines().count(), offline.err());
    }

    @Test
    void hfAndMAreExclusiveAndChecked() {
        var both = CliTest.run("", "generate", "-m", "x.gguf", "-hf", REPO, "-p", "x");
        assertEquals(1, both.code());
        assertTrue(both.err().contains("-m FILE or -hf REPO, not both"), both.err());
        var fileOnly = CliTest.run("", "info", "--hf-file", FILE);
        assertEquals(1, fileOnly.code());
        assertTrue(fileOnly.err().contains("--hf-file needs -hf REPO"), fileOnly.err());
        var bad = CliTest.run("", "info", "-hf", "../../etc");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("not a Hugging Face repository id"), bad.err());
        var help = CliTest.run("", "generate", "--help");
        assertTrue(help.out().contains("-hf, --hf-repo=REPO[:FILE]") && help.out().contains("--offline") && help.out().contains("--hf-token"),
                help.out());
    }

    /** The HF_* variables the in-process runs see (a separate JVM gets real ones: see {@link #bitnet4j}). */
    static void withEnvironment(Map<String, String> env) {
        HubArgs.environment = env;
    }

    @AfterEach
    void restoreEnvironment() {
        HubArgs.environment = System.getenv();
    }

    private static String write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }
}
