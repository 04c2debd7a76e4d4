package io.bitnet4j.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The huggingface_hub cache layout, shared with the Python tools, llama.cpp and others:
 *
 * <pre>
 * CACHE/.locks/models--ORG--NAME/ETAG.lock           one lock per blob, for concurrent downloads
 * CACHE/models--ORG--NAME/blobs/ETAG                 file contents, named by the hub's ETag (SHA-256 for LFS files)
 * CACHE/models--ORG--NAME/blobs/ETAG.incomplete      a download in progress (resumed from its length)
 * CACHE/models--ORG--NAME/refs/main                  the commit hash the branch pointed to
 * CACHE/models--ORG--NAME/snapshots/COMMIT/FILE      relative symbolic link to ../../blobs/ETAG
 * </pre>
 *
 * bitnet4j adds {@code models--ORG--NAME/.bitnet4j-verified/ETAG} (size and modification time of a blob whose
 * checksum it verified), so a multi-gigabyte file is hashed once, not at every start; other tools ignore it.
 */
public final class HubCache {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final String MODELS = "models--";
    private static final String PARTIAL = ".incomplete";
    private static final String VERIFIED = ".bitnet4j-verified";

    private final Path root;

    public HubCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** A file of a snapshot, as {@link #files()} finds it. */
    public record CachedFile(String repo, String file, String commit, List<String> refs, Path path, long size, boolean complete) {}

    /** A download that was interrupted; the next download of the same file resumes it. */
    public record PartialDownload(String repo, Path path, long size) {}

    /** Every file of every cached model snapshot, by repository, then commit, then path. */
    public List<CachedFile> files() throws IOException {
        List<CachedFile> out = new ArrayList<>();
        for (Path repoDir : repoDirs()) {
            String repo = repoOf(repoDir);
            var refsByCommit = refsByCommit(repoDir);
            Path snapshots = repoDir.resolve("snapshots");
            if (!Files.isDirectory(snapshots)) continue;
            for (Path commitDir : sortedChildren(snapshots)) {
                String commit = commitDir.getFileName().toString();
                try (Stream<Path> walk = Files.walk(commitDir)) {
                    for (Path p : walk.filter(f -> !Files.isDirectory(f)).sorted().toList()) {
                        boolean complete = Files.exists(p); // follows the link: false when its blob is gone
                        out.add(new CachedFile(repo, commitDir.relativize(p).toString().replace('\\', '/'), commit,
                                refsByCommit.getOrDefault(commit, List.of()), p, complete ? Files.size(p) : 0, complete));
                    }
                }
            }
        }
        return out;
    }

    /** Interrupted downloads ({@code blobs/*.incomplete}). */
    public List<PartialDownload> partialDownloads() throws IOException {
        List<PartialDownload> out = new ArrayList<>();
        for (Path repoDir : repoDirs()) {
            Path blobs = repoDir.resolve("blobs");
            if (!Files.isDirectory(blobs)) continue;
            for (Path p : sortedChildren(blobs))
                if (p.getFileName().toString().endsWith(PARTIAL)) out.add(new PartialDownload(repoOf(repoDir), p, Files.size(p)));
        }
        return out;
    }

    // --- the layout, one method per kind of path

    Path repoDir(String repo) {
        return root.resolve(folderName(repo));
    }

    Path blob(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    Path partial(String repo, String etag) {
        return repoDir(repo).resolve("blobs").resolve(etag + PARTIAL);
    }

    Path lockFile(String repo, String etag) {
        return root.resolve(".locks").resolve(folderName(repo)).resolve(etag + ".lock");
    }

    Path snapshot(String repo, String commit, String file) {
        return repoDir(repo).resolve("snapshots").resolve(commit).resolve(file);
    }

    private Path verifiedMark(String repo, String etag) {
        return repoDir(repo).resolve(VERIFIED).resolve(etag);
    }

    // --- refs and snapshots

    /** The commit a revision names: itself when it is a commit hash, else what {@code refs/REVISION} records. */
    Optional<String> commit(String repo, String revision) throws IOException {
        if (COMMIT.matcher(revision).matches()) return Optional.of(revision);
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        return COMMIT.matcher(commit).matches() ? Optional.of(commit) : Optional.empty();
    }

    /** Records that {@code revision} points at {@code commit} (nothing to record when it is the commit itself). */
    void saveRef(String repo, String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) return;
        Files.createDirectories(ref.getParent());
        Path tmp = temporarySibling(ref);
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The files of a snapshot, as paths relative to it. */
    List<String> snapshotFiles(String repo, String commit) throws IOException {
        Path dir = repoDir(repo).resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !Files.isDirectory(p)).map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    /**
     * Makes {@code pointer} a relative link to {@code blob}, replacing what was there atomically. Where the file
     * system has no symbolic links the blob is copied instead, as huggingface_hub does on such systems.
     */
    void link(Path pointer, Path blob) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        if (Files.isSymbolicLink(pointer) && Files.readSymbolicLink(pointer).equals(target)) return;
        Path tmp = temporarySibling(pointer);
        try {
            Files.createSymbolicLink(tmp, target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE);
    }

    // --- verification marks

    /** True when this blob's checksum was verified and its size and modification time have not changed since. */
    boolean isMarkedVerified(String repo, String etag, Path blob) {
        try {
            Path mark = verifiedMark(repo, etag);
            return Files.isRegularFile(mark) && Files.readString(mark, StandardCharsets.UTF_8).strip().equals(fingerprint(blob));
        } catch (IOException e) {
            return false;
        }
    }

    /** Best effort: without the mark (a read-only cache, say) the blob is only hashed again next time. */
    void markVerified(String repo, String etag, Path blob) {
        try {
            Path mark = verifiedMark(repo, etag);
            Files.createDirectories(mark.getParent());
            Path tmp = temporarySibling(mark);
            Files.writeString(tmp, fingerprint(blob), StandardCharsets.UTF_8);
            Files.move(tmp, mark, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // nothing lost but time
        }
    }

    void clearVerified(String repo, String etag) throws IOException {
        Files.deleteIfExists(verifiedMark(repo, etag));
    }

    private static String fingerprint(Path blob) throws IOException {
        return Files.size(blob) + " " + Files.getLastModifiedTime(blob).toMillis();
    }

    // --- helpers

    static String folderName(String repo) {
        return MODELS + repo.replace("/", "--");
    }

    private static String repoOf(Path repoDir) {
        return repoDir.getFileName().toString().substring(MODELS.length()).replace("--", "/");
    }

    private List<Path> repoDirs() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        return sortedChildren(root).stream()
                .filter(p -> p.getFileName().toString().startsWith(MODELS) && Files.isDirectory(p)).toList();
    }

    /** commit → the refs (main, tags, refs/pr/N) that point at it. */
    private static TreeMap<String, List<String>> refsByCommit(Path repoDir) throws IOException {
        var out = new TreeMap<String, List<String>>();
        Path refs = repoDir.resolve("refs");
        if (!Files.isDirectory(refs)) return out;
        try (Stream<Path> walk = Files.walk(refs)) {
            for (Path ref : walk.filter(Files::isRegularFile).sorted().toList()) {
                String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
                out.computeIfAbsent(commit, c -> new ArrayList<>()).add(refs.relativize(ref).toString().replace('\\', '/'));
            }
        }
        return out;
    }

    private static List<Path> sortedChildren(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted(Comparator.comparing(Path::toString)).toList();
        }
    }

    /** A name beside {@code p} unique to this process and thread, for write-then-rename. */
    private static Path temporarySibling(Path p) {
        return p.resolveSibling("." + p.getFileName() + "." + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId() + ".tmp");
    }
}
