package io.bitnet4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.hub.HubException.Kind;
import io.bitnet4j.hub.ModelSource.Resolved;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache other tools fill is ours too; two processes downloading one file end with one valid file. */
class SharedCacheTest {
    static final String REPO = "someone/shared-gguf";
    static final String FILE = "model-i2_s.gguf";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final byte[] CONTENT = "GGUF pretend model bytes, any bytes will do for the cache".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path cacheDir;

    /** Lays out a cache exactly as huggingface_hub (hf download) does. */
    Path populateLikeHuggingfaceHub(byte[] content) throws Exception {
        Path repoDir = cacheDir.resolve("models--someone--shared-gguf");
        Path blob = repoDir.resolve("blobs").resolve(FakeHub.sha256(CONTENT));
        Files.createDirectories(blob.getParent());
        Files.write(blob, content);
        Path link = repoDir.resolve("snapshots").resolve(COMMIT).resolve(FILE);
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, Path.of("../../blobs").resolve(blob.getFileName()));
        Files.createDirectories(repoDir.resolve("refs"));
        Files.writeString(repoDir.resolve("refs/main"), COMMIT);
        return link;
    }

    HubOptions noHub() {
        return new HubOptions(URI.create("http://127.0.0.1:1"), cacheDir, null, false, null);
    }

    @Test
    void aCacheFilledByOtherToolsIsUsedWithoutNetwork() throws Exception {
        Path link = populateLikeHuggingfaceHub(CONTENT);

        Resolved offline = ModelSource.huggingFace(REPO).fetch(noHub().withOffline(true));
        assertEquals(link, offline.path());
        assertEquals(COMMIT, offline.commit());
        assertArrayEquals(CONTENT, Files.readAllBytes(offline.path()));
        assertEquals(link, ModelSource.parse(REPO + ":" + FILE).resolve(noHub()), "an unreachable hub falls back to it too");
        assertEquals(link, ModelSource.huggingFace(REPO, FILE).withRevision(COMMIT).resolve(noHub().withOffline(true)));
    }

    @Test
    void aCorruptEntryFromElsewhereIsNeverLoaded() throws Exception {
        byte[] corrupt = CONTENT.clone();
        corrupt[3] ^= 1;
        populateLikeHuggingfaceHub(corrupt);
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO).resolve(noHub().withOffline(true)));
        assertEquals(Kind.CHECKSUM_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void withTheHubAValidCachedBlobCostsOnlyAHead() throws Exception {
        try (FakeHub hub = FakeHub.start()) {
            hub.addFile(REPO, FILE, CONTENT, true);
            Path repoDir = cacheDir.resolve("models--someone--shared-gguf");
            Path blob = repoDir.resolve("blobs").resolve(FakeHub.sha256(CONTENT));
            Files.createDirectories(blob.getParent());
            Files.write(blob, CONTENT); // the blob is there (another revision had it); this commit's snapshot is not

            Resolved r = ModelSource.huggingFace(REPO, FILE).fetch(new HubOptions(hub.endpoint(), cacheDir, null, false, null));
            assertFalse(r.downloaded());
            assertEquals(blob, r.path().toRealPath());
            assertEquals(hub.commit(REPO), Files.readString(repoDir.resolve("refs/main")));
            assertEquals(List.of(), hub.downloads());
        }
    }

    @Test
    void twoProcessesDownloadingTheSameFileEndWithOneValidFile() throws Exception {
        byte[] content = new byte[400_000];
        new java.util.Random(5).nextBytes(content);
        try (FakeHub hub = FakeHub.start()) {
            hub.addFile(REPO, FILE, content, true);
            hub.throttle(400_000); // about a second per download: the second process starts while the first downloads
            List<Process> processes = new ArrayList<>();
            for (int i = 0; i < 2; i++) processes.add(resolveInAnotherProcess(hub.endpoint(), REPO + ":" + FILE));
            List<String> outputs = new ArrayList<>();
            for (Process p : processes) {
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a process hung");
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertEquals(0, p.exitValue(), out + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                outputs.add(out);
            }
            assertEquals(outputs.get(0), outputs.get(1));
            Path file = Path.of(outputs.get(0));
            assertArrayEquals(content, Files.readAllBytes(file));
            assertEquals(1, hub.downloads().size(), "the second process waited for the first instead of downloading too");
            try (var blobs = Files.list(file.toRealPath().getParent())) {
                assertEquals(List.of(FakeHub.sha256(content)), blobs.map(p -> p.getFileName().toString()).toList());
            }
        }
    }

    private Process resolveInAnotherProcess(URI endpoint, String spec) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // a quick-starting JVM (client compiler, serial GC): the test measures locking, not speed
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath, ResolveMain.class.getName(), spec);
        pb.environment().put("HF_ENDPOINT", endpoint.toString());
        pb.environment().put("HF_HUB_CACHE", cacheDir.toString());
        pb.environment().remove("HF_TOKEN");
        pb.environment().remove("HF_HUB_OFFLINE");
        return pb.start();
    }
}
