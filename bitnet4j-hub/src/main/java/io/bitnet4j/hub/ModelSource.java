package io.bitnet4j.hub;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A model on the Hugging Face Hub: a repository, optionally the file in it, and a revision.
 *
 * <pre>{@code
 * Path gguf = ModelSource.huggingFace("microsoft/bitnet-b1.58-2B-4T-gguf").resolve();
 * try (Model model = Model.load(gguf)) { ... }
 * }</pre>
 *
 * {@link #resolve} returns the file in the local cache, downloading it first when it is missing, truncated or
 * corrupt (resumed from a partial download, checked against the SHA-256 the hub publishes, moved into place only
 * when complete).
 *
 * @param repo     {@code ORG/NAME}
 * @param file     the file's path in the repository ({@code ggml-model-i2_s.gguf}); or a tag without a dot
 *                 ({@code i2_s}) that picks the one GGUF file whose name contains it; or null for the repository's
 *                 GGUF file (the I2_S one when there are several)
 * @param revision a branch, tag or commit hash; {@code main} by default
 */
public record ModelSource(String repo, String file, String revision) {

    public static final String DEFAULT_REVISION = "main";
    private static final Pattern REPO_ID = Pattern.compile("(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*");

    public ModelSource {
        Objects.requireNonNull(repo, "repo");
        if (!REPO_ID.matcher(repo).matches() || repo.contains("..") || repo.length() > 200)
            throw new IllegalArgumentException("not a Hugging Face repository id: '" + repo
                    + "' (expected ORG/NAME, e.g. microsoft/bitnet-b1.58-2B-4T-gguf)");
        if (file != null && file.isEmpty()) file = null;
        if (file != null && !isSafeRelativePath(file))
            throw new IllegalArgumentException("not a file path inside a repository: '" + file + "'");
        if (revision == null || revision.isEmpty()) revision = DEFAULT_REVISION;
        if (!isSafeRelativePath(revision)) throw new IllegalArgumentException("not a revision: '" + revision + "'");
    }

    /** The repository's GGUF file (the I2_S one when it holds several). */
    public static ModelSource huggingFace(String repo) {
        return new ModelSource(repo, null, DEFAULT_REVISION);
    }

    /** The named file (or tag, see {@link ModelSource}) of the repository. */
    public static ModelSource huggingFace(String repo, String file) {
        return new ModelSource(repo, file, DEFAULT_REVISION);
    }

    /** {@code ORG/NAME} or {@code ORG/NAME:FILE}, as the command line's {@code -hf} takes it. */
    public static ModelSource parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        int colon = spec.indexOf(':');
        return colon < 0 ? huggingFace(spec.strip()) : huggingFace(spec.substring(0, colon).strip(), spec.substring(colon + 1).strip());
    }

    public ModelSource withFile(String file) {
        return new ModelSource(repo, file, revision);
    }

    public ModelSource withRevision(String revision) {
        return new ModelSource(repo, file, revision);
    }

    /** True when {@link #file} names a file; false when it is a tag or absent (the file is then chosen). */
    public boolean namesFile() {
        return file != null && file.contains(".");
    }

    /** The local file, with the settings of the environment ({@link HubOptions#fromEnvironment()}). */
    public Path resolve() throws HubException {
        return resolve(HubOptions.fromEnvironment());
    }

    /** The local file: from the cache when it holds a valid copy, else downloaded into it. */
    public Path resolve(HubOptions options) throws HubException {
        return fetch(options).path();
    }

    /** Like {@link #resolve(HubOptions)}, with what was found: file, commit, size, whether it was downloaded. */
    public Resolved fetch(HubOptions options) throws HubException {
        return new Resolver(options).resolve(this);
    }

    @Override
    public String toString() {
        return repo + (file != null ? ":" + file : "") + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
    }

    /**
     * A resolved model file.
     *
     * @param path       the file in the cache's snapshot folder (a link to its blob)
     * @param file       its path in the repository
     * @param commit     the commit it belongs to
     * @param size       bytes
     * @param downloaded true when this call downloaded (some of) it, false when the cache held it
     * @param notice     something the user should know (e.g. the hub was unreachable and the cached copy is
     *                   used), or null
     */
    public record Resolved(Path path, String repo, String file, String commit, long size, boolean downloaded, String notice) {}

    /** A relative path without {@code ..}, empty or absolute parts: safe to join under a cache folder. */
    static boolean isSafeRelativePath(String p) {
        if (p.isEmpty() || p.startsWith("/") || p.endsWith("/") || p.contains("\\") || p.length() > 1000) return false;
        for (String part : p.split("/", -1))
            if (part.isEmpty() || part.equals(".") || part.equals("..")) return false;
        return p.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }
}
