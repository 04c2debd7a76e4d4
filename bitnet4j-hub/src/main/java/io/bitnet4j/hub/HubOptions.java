package io.bitnet4j.hub;

import io.bitnet4j.ProgressListener;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where and how models are fetched: the hub's address, the cache folder, an access token, offline mode, and a
 * listener for download progress. {@link #fromEnvironment()} reads the variables huggingface_hub reads, so the
 * cache and the login are shared with the Python tools, llama.cpp and others.
 *
 * @param endpoint  the hub, {@code https://huggingface.co} unless {@code HF_ENDPOINT} names a mirror
 * @param cacheDir  the cache root ({@code models--ORG--NAME/blobs|snapshots|refs} live under it)
 * @param token     bearer token sent to the endpoint (never to the storage it redirects to), or null
 * @param offline   use only the cache, never the network
 * @param progress  called with the bytes done of each stage (download, verification, waiting for another process)
 */
public record HubOptions(URI endpoint, Path cacheDir, String token, boolean offline, ProgressListener progress) {

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE = Set.of("1", "on", "yes", "true");

    public HubOptions {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        String e = endpoint.toString();
        if (e.endsWith("/")) endpoint = URI.create(e.substring(0, e.length() - 1));
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()))
            throw new IllegalArgumentException("hub endpoint must be an http(s) URL, got '" + e + "'");
        if (token != null && token.isBlank()) token = null;
        if (token != null) token = token.strip();
        if (progress == null) progress = ProgressListener.NONE;
    }

    /** The settings of this process's environment ({@link System#getenv()}), as huggingface_hub reads them. */
    public static HubOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * The settings the given environment describes: {@code HF_ENDPOINT}; the cache in {@code HF_HUB_CACHE}, else
     * {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub};
     * the token in {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH} or {@code $HF_HOME/token} that
     * {@code hf auth login} writes; offline when {@code HF_HUB_OFFLINE} is 1, on, yes or true.
     */
    public static HubOptions fromEnvironment(Map<String, String> env) {
        return fromEnvironment(env, Path.of(System.getProperty("user.home")));
    }

    static HubOptions fromEnvironment(Map<String, String> env, Path home) {
        Path hfHome = present(env.get("HF_HOME"))
                ? Path.of(env.get("HF_HOME"))
                : (present(env.get("XDG_CACHE_HOME")) ? Path.of(env.get("XDG_CACHE_HOME")) : home.resolve(".cache")).resolve("huggingface");
        Path cache = present(env.get("HF_HUB_CACHE")) ? Path.of(env.get("HF_HUB_CACHE")) : hfHome.resolve("hub");
        URI endpoint = present(env.get("HF_ENDPOINT")) ? URI.create(env.get("HF_ENDPOINT").strip()) : DEFAULT_ENDPOINT;
        String token = present(env.get("HF_TOKEN")) ? env.get("HF_TOKEN")
                : savedToken(present(env.get("HF_TOKEN_PATH")) ? Path.of(env.get("HF_TOKEN_PATH")) : hfHome.resolve("token"));
        boolean offline = present(env.get("HF_HUB_OFFLINE")) && TRUE.contains(env.get("HF_HUB_OFFLINE").strip().toLowerCase(Locale.ROOT));
        return new HubOptions(endpoint, cache, token, offline, ProgressListener.NONE);
    }

    public HubOptions withEndpoint(URI endpoint) {
        return new HubOptions(endpoint, cacheDir, token, offline, progress);
    }

    public HubOptions withCacheDir(Path cacheDir) {
        return new HubOptions(endpoint, cacheDir, token, offline, progress);
    }

    public HubOptions withToken(String token) {
        return new HubOptions(endpoint, cacheDir, token, offline, progress);
    }

    public HubOptions withOffline(boolean offline) {
        return new HubOptions(endpoint, cacheDir, token, offline, progress);
    }

    public HubOptions withProgress(ProgressListener progress) {
        return new HubOptions(endpoint, cacheDir, token, offline, progress);
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "HubOptions[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "***")
                + ", offline=" + offline + "]";
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    private static String savedToken(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null; // an unreadable token file is the same as none: public repositories still work
        }
    }
}
