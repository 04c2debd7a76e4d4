package io.bitnet4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.hub.FakeHub.Request;
import io.bitnet4j.hub.HubException.Kind;
import io.bitnet4j.hub.ModelSource.Resolved;
import io.bitnet4j.synthetic.SyntheticModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a loopback imitation of the hub: layout, choice, resume, checksums, tokens, errors. */
class DownloadTest {
    static final String REPO = "microsoft/bitnet-test-gguf";
    static final String FILE = "ggml-model-i2_s.gguf";
    static byte[] gguf;
    static String sha;
    static FakeHub hub;

    @TempDir
    Path cacheDir;
    final List<long[]> progress = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startHub(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, SyntheticModel.Spec.tiny(), null, 7);
        gguf = Files.readAllBytes(model);
        sha = FakeHub.sha256(gguf);
        hub = FakeHub.start()
                .addFile(REPO, FILE, gguf, true)
                .addFile(REPO, "README.md", "# a test model\n".getBytes(StandardCharsets.UTF_8), false);
    }

    @AfterAll
    static void stopHub() {
        hub.close();
    }

    @BeforeEach
    void resetFaults() {
        hub.cutNextDownloads(0, 0);
        hub.corruptDownloads(false);
        hub.throttle(0);
        hub.clearRequests();
    }

    HubOptions options() {
        return new HubOptions(hub.endpoint(), cacheDir, null, false, (stage, done, total) -> progress.add(new long[] {done, total}));
    }

    Path repoDir() {
        return cacheDir.resolve("models--microsoft--bitnet-test-gguf");
    }

    @Test
    void downloadsIntoTheHuggingFaceCacheLayout() throws Exception {
        Resolved r = ModelSource.huggingFace(REPO).fetch(options());

        String commit = hub.commit(REPO);
        assertEquals(repoDir().resolve("snapshots").resolve(commit).resolve(FILE), r.path());
        assertTrue(Files.isSymbolicLink(r.path()));
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(r.path()));
        assertArrayEquals(gguf, Files.readAllBytes(r.path()));
        assertEquals(commit, Files.readString(repoDir().resolve("refs/main")));
        assertTrue(Files.exists(cacheDir.resolve(".locks/models--microsoft--bitnet-test-gguf/" + sha + ".lock")));
        assertFalse(Files.exists(repoDir().resolve("blobs/" + sha + ".incomplete")));
        assertTrue(r.downloaded());
        assertEquals(FILE, r.file());
        assertEquals(gguf.length, r.size());
        long[] last = progress.getLast();
        assertEquals(gguf.length, last[0]);
        assertEquals(gguf.length, last[1]);
        // the listing (no file named), HEAD on resolve, GET on resolve (302), GET on the storage
        assertEquals(List.of("GET /api/models/" + REPO, "HEAD /" + REPO + "/resolve/main/" + FILE,
                "GET /" + REPO + "/resolve/" + commit + "/" + FILE, "GET /repos/" + sha), paths());

        hub.clearRequests();
        Resolved again = ModelSource.huggingFace(REPO, FILE).fetch(options());
        assertEquals(r.path(), again.path());
        assertFalse(again.downloaded());
        assertEquals(List.of("HEAD /" + REPO + "/resolve/main/" + FILE), paths(), "a valid cached copy costs one HEAD");
    }

    @Test
    void choosesTheGgufFileOrListsTheCandidates() throws Exception {
        byte[] other = Arrays.copyOf(gguf, gguf.length - 1);
        hub.addFile("org/two", "model-q4.gguf", gguf, true).addFile("org/two", "model-f16.gguf", other, true);
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/two").resolve(options()));
        assertEquals(Kind.AMBIGUOUS, e.kind());
        assertTrue(e.getMessage().contains("model-q4.gguf") && e.getMessage().contains("model-f16.gguf")
                && e.getMessage().contains("org/two:FILE"), e.getMessage());
        assertEquals("model-f16.gguf", ModelSource.parse("org/two:F16").fetch(options()).file(), "a tag picks by name");

        hub.addFile("org/three", "x-i2_s.gguf", gguf, true).addFile("org/three", "x-f32.gguf", other, true);
        assertEquals("x-i2_s.gguf", ModelSource.huggingFace("org/three").fetch(options()).file(), "I2_S is preferred");

        hub.addFile("org/none", "config.json", "{}".getBytes(StandardCharsets.UTF_8), false);
        e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/none").resolve(options()));
        assertEquals(Kind.FILE_NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("holds no .gguf file") && e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void resumesAfterTheConnectionIsCutMidFile() throws Exception {
        hub.cutNextDownloads(1, gguf.length / 2);
        Path p = ModelSource.huggingFace(REPO, FILE).resolve(options());

        assertArrayEquals(gguf, Files.readAllBytes(p));
        List<Request> downloads = hub.downloads();
        assertEquals(2, downloads.size(), downloads.toString());
        assertNull(downloads.get(0).range());
        // the rest, from what arrived before the cut (bytes in flight when the connection dropped may be lost)
        long from = Long.parseLong(downloads.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
        assertTrue(from > 0 && from <= gguf.length / 2, downloads.get(1).range());
    }

    @Test
    void resumesAPartialDownloadLeftByAnEarlierRun() throws Exception {
        Path partial = repoDir().resolve("blobs/" + sha + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, Arrays.copyOf(gguf, gguf.length / 3));

        Path p = ModelSource.huggingFace(REPO, FILE).resolve(options());

        assertArrayEquals(gguf, Files.readAllBytes(p));
        assertEquals(List.of("bytes=" + gguf.length / 3 + "-"), hub.downloads().stream().map(Request::range).toList());
        assertFalse(Files.exists(partial));
    }

    @Test
    void aCorruptDownloadIsRejectedAndNothingIsLeftBehind() throws Exception {
        hub.corruptDownloads(true);
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO, FILE).resolve(options()));
        assertEquals(Kind.CHECKSUM_MISMATCH, e.kind());
        assertTrue(e.getMessage().contains(sha), e.getMessage());
        assertFalse(Files.exists(repoDir().resolve("blobs/" + sha)));
        assertFalse(Files.exists(repoDir().resolve("blobs/" + sha + ".incomplete")));
        assertFalse(Files.exists(repoDir().resolve("snapshots/" + hub.commit(REPO) + "/" + FILE)));

        hub.corruptDownloads(false);
        assertArrayEquals(gguf, Files.readAllBytes(ModelSource.huggingFace(REPO, FILE).resolve(options())));
    }

    @Test
    void aResumedDownloadWithBadOldBytesStartsOver() throws Exception {
        Path partial = repoDir().resolve("blobs/" + sha + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, new byte[gguf.length / 2]); // zeros: not the file's first half

        Path p = ModelSource.huggingFace(REPO, FILE).resolve(options());

        assertArrayEquals(gguf, Files.readAllBytes(p));
        assertEquals(Arrays.asList("bytes=" + gguf.length / 2 + "-", null), hub.downloads().stream().map(Request::range).toList());
    }

    @Test
    void aTruncatedOrCorruptCacheEntryIsFetchedAgain() throws Exception {
        Path p = ModelSource.huggingFace(REPO, FILE).resolve(options());
        Path blob = p.toRealPath();

        Files.write(blob, Arrays.copyOf(gguf, gguf.length - 100)); // truncated
        hub.clearRequests();
        assertArrayEquals(gguf, Files.readAllBytes(ModelSource.huggingFace(REPO, FILE).resolve(options())));
        assertEquals(1, hub.downloads().size());

        byte[] flipped = gguf.clone();
        flipped[1000] ^= 1;
        Files.write(blob, flipped); // same size, different bytes: the write moves the modification time
        Files.setLastModifiedTime(blob, FileTime.fromMillis(Files.getLastModifiedTime(blob).toMillis() + 10_000));
        hub.clearRequests();
        assertArrayEquals(gguf, Files.readAllBytes(ModelSource.huggingFace(REPO, FILE).resolve(options())));
        assertEquals(1, hub.downloads().size());
    }

    @Test
    void offlineModeUsesOnlyTheCache() throws Exception {
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO).resolve(options().withOffline(true)));
        assertEquals(Kind.NOT_CACHED, e.kind());
        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertEquals(List.of(), hub.requests());

        Path online = ModelSource.huggingFace(REPO).resolve(options());
        hub.clearRequests();
        Resolved offline = ModelSource.huggingFace(REPO).fetch(options().withOffline(true));
        assertEquals(online, offline.path());
        assertEquals(hub.commit(REPO), offline.commit());
        assertNull(offline.notice());
        assertEquals(List.of(), hub.requests(), "offline means no request at all");
    }

    @Test
    void anUnreachableHubFallsBackToTheCacheOrSaysSo() throws Exception {
        HubOptions unreachable = options().withEndpoint(java.net.URI.create("http://127.0.0.1:1"));
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO).resolve(unreachable));
        assertEquals(Kind.NETWORK, e.kind());
        assertTrue(e.getMessage().contains("cannot reach http://127.0.0.1:1") && e.getMessage().contains("not in the cache"), e.getMessage());

        Path online = ModelSource.huggingFace(REPO).resolve(options());
        Resolved r = ModelSource.huggingFace(REPO).fetch(unreachable);
        assertEquals(online, r.path());
        assertNotNull(r.notice());
        assertTrue(r.notice().contains("using the cached copy"), r.notice());
    }

    @Test
    void theTokenGoesToTheHubButNeverToTheStorage() throws Exception {
        hub.addFile("org/gated", FILE, gguf, true).gate("org/gated", "hf_right");
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/gated", FILE).resolve(options()));
        assertEquals(Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("gated") && e.getMessage().contains("HF_TOKEN"), e.getMessage());
        e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/gated", FILE).resolve(options().withToken("hf_wrong")));
        assertEquals(Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("the one given has none"), e.getMessage());

        hub.clearRequests();
        Path p = ModelSource.huggingFace("org/gated", FILE).resolve(options().withToken("hf_right"));
        assertArrayEquals(gguf, Files.readAllBytes(p));
        for (Request r : hub.requests())
            assertEquals(r.server().equals("hub") ? "Bearer hf_right" : null, r.authorization(), r.toString());
        assertEquals(1, hub.downloads().size());
    }

    @Test
    void missingRepositoryRevisionAndFileAreNamed() {
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/nothing-here").resolve(options()));
        assertEquals(Kind.REPO_NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("org/nothing-here") && e.getMessage().contains("HF_TOKEN"), e.getMessage());

        e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO, "ggml-model-q4.gguf").resolve(options()));
        assertEquals(Kind.FILE_NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("ggml-model-q4.gguf not found") && e.getMessage().contains("its .gguf files: " + FILE), e.getMessage());

        e = assertThrows(HubException.class, () -> ModelSource.huggingFace(REPO, FILE).withRevision("v9").resolve(options()));
        assertEquals(Kind.REVISION_NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("'v9'"), e.getMessage());
    }

    @Test
    void notEnoughDiskSpaceIsSaidBeforeDownloading() {
        hub.addFile("org/huge", FILE, gguf, true, 1L << 60); // an exabyte, announced
        HubException e = assertThrows(HubException.class, () -> ModelSource.huggingFace("org/huge", FILE).resolve(options()));
        assertEquals(Kind.DISK_FULL, e.kind());
        assertTrue(e.getMessage().contains("not enough disk space") && e.getMessage().contains("HF_HUB_CACHE"), e.getMessage());
        assertEquals(List.of(), hub.downloads());
    }

    @Test
    void plainGitFilesAreCheckedAgainstTheirGitId() throws Exception {
        Path readme = ModelSource.huggingFace(REPO, "README.md").resolve(options());
        assertEquals("# a test model\n", Files.readString(readme));
        assertEquals(FakeHub.gitBlobId(Files.readAllBytes(readme)), readme.toRealPath().getFileName().toString());
    }

    @Test
    void theCacheListsWhatItHolds() throws Exception {
        ModelSource.huggingFace(REPO).resolve(options());
        Path partial = cacheDir.resolve("models--org--partial/blobs/" + "0".repeat(64) + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, new byte[123]);

        HubCache cache = new HubCache(cacheDir);
        List<HubCache.CachedFile> files = cache.files();
        assertEquals(1, files.size(), files.toString());
        HubCache.CachedFile f = files.getFirst();
        assertEquals(REPO, f.repo());
        assertEquals(FILE, f.file());
        assertEquals(List.of("main"), f.refs());
        assertEquals(gguf.length, f.size());
        assertTrue(f.complete());
        assertEquals(List.of(new HubCache.PartialDownload("org/partial", partial, 123)), cache.partialDownloads());
    }

    private List<String> paths() {
        return hub.requests().stream().map(r -> r.method() + " " + r.path()).toList();
    }
}
