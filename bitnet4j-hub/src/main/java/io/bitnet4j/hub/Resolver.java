package io.bitnet4j.hub;

import io.bitnet4j.hub.HubClient.FileMetadata;
import io.bitnet4j.hub.HubClient.RepoFile;
import io.bitnet4j.hub.HubException.Kind;
import io.bitnet4j.hub.ModelSource.Resolved;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@link ModelSource} → local file. Online: the file is chosen from the repository's listing when not named,
 * its commit, ETag and size come from the hub, and the cached blob is used when valid, else downloaded. Offline,
 * or when the hub cannot be reached: the cache alone, through {@code refs/REVISION} and the snapshot.
 */
final class Resolver {
    private final HubOptions options;
    private final HubCache cache;

    Resolver(HubOptions options) {
        this.options = options;
        this.cache = new HubCache(options.cacheDir());
    }

    Resolved resolve(ModelSource source) throws HubException {
        try {
            return options.offline() ? fromCache(source, null) : online(source);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            throw new HubException(Kind.IO, "the model cache at " + cache.root() + " cannot be used: " + e, e);
        }
    }

    private Resolved online(ModelSource source) throws IOException {
        HubClient client = new HubClient(options);
        String repo = source.repo();
        String file;
        FileMetadata meta;
        try {
            file = source.namesFile() ? source.file() : FileChoice.choose(repo, client.listing(repo, source.revision()).files(), source.file());
            meta = metadata(client, source, file);
        } catch (HubException e) {
            if (e.kind() != Kind.NETWORK) throw e;
            return fromCache(source, e);
        }
        cache.saveRef(repo, source.revision(), meta.commit());
        Path blob = cache.blob(repo, meta.etag());
        boolean downloaded = !new BlobCheck(cache, options.progress()).isValid(repo, meta.etag(), blob, meta.size(), file)
                && new Download(client, cache, options.progress()).fetch(repo, file, meta);
        Path pointer = cache.snapshot(repo, meta.commit(), file);
        cache.link(pointer, blob);
        return new Resolved(pointer, repo, file, meta.commit(), meta.size(), downloaded, null);
    }

    /** HEAD of the file; when a named file is missing, the error lists the repository's GGUF files. */
    private static FileMetadata metadata(HubClient client, ModelSource source, String file) throws HubException {
        try {
            return client.metadata(source.repo(), source.revision(), file);
        } catch (HubException e) {
            if (e.kind() != Kind.FILE_NOT_FOUND) throw e;
            String ggufs;
            try {
                ggufs = client.listing(source.repo(), source.revision()).files().stream().map(RepoFile::path)
                        .filter(FileChoice::isGguf).collect(Collectors.joining(", "));
            } catch (HubException listingFailed) {
                throw e;
            }
            throw new HubException(Kind.FILE_NOT_FOUND, e.getMessage() + (ggufs.isEmpty() ? "; the repository holds no .gguf file"
                    : "; its .gguf files: " + ggufs), e);
        }
    }

    /** The cached copy; {@code unreachable} is the network error that sent us here, null in offline mode. */
    private Resolved fromCache(ModelSource source, HubException unreachable) throws IOException {
        String repo = source.repo();
        String commit = cache.commit(repo, source.revision()).orElse(null);
        if (commit == null) throw notCached(source, unreachable, "");
        String file = source.namesFile() ? source.file() : FileChoice.choose(repo, snapshotFiles(repo, commit), source.file());
        Path pointer = cache.snapshot(repo, commit, file);
        if (!Files.exists(pointer)) throw notCached(source, unreachable, " (the snapshot " + commit + " does not hold " + file + ")");
        if (Files.isSymbolicLink(pointer)) {
            Path blob = pointer.toRealPath();
            if (!new BlobCheck(cache, options.progress()).isValid(repo, blob.getFileName().toString(), blob, -1, file))
                throw new HubException(Kind.CHECKSUM_MISMATCH, "the cached " + file + " of " + repo + " is corrupt (its contents do not match "
                        + "its checksum, " + blob + ")" + (unreachable == null ? "; run once online to download it again"
                        : " and the hub cannot be reached to download it again: " + unreachable.getMessage()));
        }
        String notice = unreachable == null ? null : unreachable.getMessage().replaceFirst(";.*", "") + "; using the cached copy";
        return new Resolved(pointer, repo, file, commit, Files.size(pointer), false, notice);
    }

    private List<RepoFile> snapshotFiles(String repo, String commit) throws IOException {
        List<RepoFile> files = new ArrayList<>();
        for (String f : cache.snapshotFiles(repo, commit)) {
            Path p = cache.snapshot(repo, commit, f);
            files.add(new RepoFile(f, Files.exists(p) ? Files.size(p) : -1, null));
        }
        return files;
    }

    private HubException notCached(ModelSource source, HubException unreachable, String detail) {
        String what = source + " is not in the cache at " + cache.root() + detail;
        return unreachable == null
                ? new HubException(Kind.NOT_CACHED, what + "; offline mode is on: run once online to download it")
                : new HubException(Kind.NETWORK, unreachable.getMessage().replaceFirst(";.*", "") + ", and " + what, unreachable);
    }
}
