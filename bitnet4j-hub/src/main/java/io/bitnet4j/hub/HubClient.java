package io.bitnet4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bitnet4j.hub.HubException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hub's public HTTP API, the parts a download needs:
 * <ul>
 *   <li>{@code GET /api/models/REPO[/revision/REV]?blobs=true}: the commit and the files ({@code siblings}, with
 *       sizes and the {@code lfs} SHA-256);
 *   <li>{@code HEAD /REPO/resolve/REV/FILE}: the commit ({@code X-Repo-Commit}), the ETag ({@code X-Linked-Etag},
 *       for LFS files the SHA-256, else {@code ETag}) and the size ({@code X-Linked-Size}, else
 *       {@code Content-Length}), read from the answer itself when it redirects to the file storage;
 *   <li>{@code GET /REPO/resolve/COMMIT/FILE} with {@code Range: bytes=N-}, following redirects.
 * </ul>
 * Errors carry {@code X-Error-Code} ({@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound},
 * {@code GatedRepo}) and {@code X-Error-Message}. The token goes to the endpoint only, never to the storage it
 * redirects to (those URLs are pre-signed).
 */
final class HubClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SAFE_ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubOptions options;
    private final HttpClient http;
    private final String userAgent;

    HubClient(HubOptions options) {
        this.options = options;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        String version = Objects.requireNonNullElse(HubClient.class.getPackage().getImplementationVersion(), "dev");
        this.userAgent = "bitnet4j/" + version + "; java/" + Runtime.version().feature();
    }

    /** A file of a repository listing; size -1 and sha256 null when the listing does not say. */
    record RepoFile(String path, long size, String sha256) {}

    record RepoListing(String commit, List<RepoFile> files) {}

    /** What HEAD on a resolve URL tells: the file's commit, ETag (its blob name) and size. */
    record FileMetadata(String commit, String etag, long size) {}

    /** An open download: {@code start} is the offset of the first byte of {@code body}. */
    record Body(long start, long length, InputStream body) {}

    RepoListing listing(String repo, String revision) throws HubException {
        String path = "/api/models/" + repo + (revision.equals(ModelSource.DEFAULT_REVISION) ? "" : "/revision/" + encode(revision));
        HttpResponse<byte[]> r = send(request(URI.create(options.endpoint() + path + "?blobs=true")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw error(r, repo, revision, null);
        try {
            JsonNode root = JSON.readTree(r.body());
            List<RepoFile> files = new ArrayList<>();
            for (JsonNode s : root.path("siblings")) {
                String name = s.path("rfilename").asText("");
                if (!ModelSource.isSafeRelativePath(name)) continue; // never join a hostile name under the cache
                JsonNode lfs = s.path("lfs");
                files.add(new RepoFile(name, s.path("size").asLong(lfs.path("size").asLong(-1)), lfs.path("sha256").asText(null)));
            }
            return new RepoListing(root.path("sha").asText(null), files);
        } catch (IOException e) {
            throw new HubException(Kind.PROTOCOL, options.endpoint() + " answered the file listing of " + repo
                    + " with something that is not the hub's JSON (" + e.getMessage() + ")", e);
        }
    }

    FileMetadata metadata(String repo, String revision, String file) throws HubException {
        URI uri = resolveUri(repo, revision, file);
        HttpResponse<Void> r = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            r = send(request(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Accept-Encoding", "identity").build(),
                    HttpResponse.BodyHandlers.discarding());
            // A relative redirect stays on the hub (a renamed repository); an absolute one points at the file
            // storage, and the answer itself already carries the file's headers.
            String location = r.headers().firstValue("Location").orElse(null);
            if (!isRedirect(r.statusCode()) || location == null || URI.create(location).isAbsolute()) break;
            uri = uri.resolve(location);
        }
        if (r.statusCode() >= 400 || (!isRedirect(r.statusCode()) && r.statusCode() != 200)) throw error(r, repo, revision, file);
        var headers = r.headers();
        String commit = headers.firstValue("X-Repo-Commit").orElse(null);
        String etag = headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).map(HubClient::normalizeEtag).orElse(null);
        long size = headers.firstValue("X-Linked-Size").or(() -> headers.firstValue("Content-Length")).map(HubClient::parseSize).orElse(-1L);
        if (commit == null || !COMMIT.matcher(commit).matches() || etag == null || !SAFE_ETAG.matcher(etag).matches() || size < 0)
            throw new HubException(Kind.PROTOCOL, options.endpoint() + " did not answer like the Hugging Face Hub for " + repo + "/" + file
                    + " (a commit in X-Repo-Commit, an ETag and a size are expected; got commit=" + commit + ", etag=" + etag
                    + ", size=" + size + "): is HF_ENDPOINT a hub?");
        return new FileMetadata(commit, etag, size);
    }

    /** GETs the file from byte {@code from} on (the server may answer with the whole file: see {@link Body#start}). */
    Body open(String repo, String commit, String file, long from) throws HubException {
        URI uri = resolveUri(repo, commit, file);
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = request(uri).GET().header("Accept-Encoding", "identity");
            if (from > 0) req.header("Range", "bytes=" + from + "-");
            HttpResponse<InputStream> r = send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = r.statusCode();
            if (isRedirect(status) && r.headers().firstValue("Location").isPresent()) {
                close(r.body());
                uri = uri.resolve(r.headers().firstValue("Location").get());
                continue;
            }
            if (status == 200) return new Body(0, r.headers().firstValueAsLong("Content-Length").orElse(-1), r.body());
            if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches()) {
                    close(r.body());
                    throw new HubException(Kind.PROTOCOL, "partial answer without a valid Content-Range from " + uri.getHost());
                }
                return new Body(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)) + 1, r.body());
            }
            close(r.body());
            throw error(r, repo, commit, file);
        }
        throw new HubException(Kind.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects downloading " + repo + "/" + file);
    }

    private URI resolveUri(String repo, String revision, String file) {
        StringBuilder path = new StringBuilder("/").append(repo).append("/resolve/").append(encode(revision));
        for (String part : file.split("/")) path.append('/').append(encode(part));
        return URI.create(options.endpoint() + path.toString());
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(ANSWER_TIMEOUT).header("User-Agent", userAgent);
        if (options.token() != null && sameOrigin(uri, options.endpoint())) b.header("Authorization", "Bearer " + options.token());
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws HubException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(Kind.NETWORK, "interrupted while talking to " + request.uri().getHost(), e);
        } catch (IOException e) {
            throw unreachable(request.uri(), e);
        }
    }

    /** A network failure, described by its cause: the user needs to know whether to check the cable or the name. */
    HubException unreachable(URI uri, IOException e) {
        String why;
        if (e instanceof HttpConnectTimeoutException) why = "timed out connecting";
        else if (e instanceof HttpTimeoutException) why = "no answer within " + ANSWER_TIMEOUT.toSeconds() + " s";
        else if (hasCause(e, UnresolvedAddressException.class)) why = "unknown host " + uri.getHost();
        else if (e instanceof ConnectException) why = "connection refused";
        else why = Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName());
        return new HubException(Kind.NETWORK, "cannot reach " + uri.getScheme() + "://" + uri.getAuthority() + " (" + why
                + "); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the local cache", e);
    }

    /** The error an answer describes, named as the hub names it (X-Error-Code), else by its status. */
    private HubException error(HttpResponse<?> r, String repo, String revision, String file) {
        int status = r.statusCode();
        String code = r.headers().firstValue("X-Error-Code").orElse("");
        String detail = r.headers().firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
        String where = options.endpoint().toString();
        String tokenHint = options.token() == null ? "set HF_TOKEN to an access token (https://huggingface.co/settings/tokens)"
                : "use a token that has access (the one given has none)";
        return switch (code) {
            case "RepoNotFound" -> new HubException(Kind.REPO_NOT_FOUND, "repository " + repo + " not found on " + where
                    + "; check the name, and if it is private or gated, " + tokenHint);
            case "RevisionNotFound" -> new HubException(Kind.REVISION_NOT_FOUND, "revision '" + revision + "' not found in " + repo);
            case "EntryNotFound" -> new HubException(Kind.FILE_NOT_FOUND, "file " + file + " not found in " + repo + " (revision " + revision + ")");
            case "GatedRepo" -> new HubException(Kind.UNAUTHORIZED, repo + " is gated" + detail + ": accept its conditions at "
                    + where + "/" + repo + " and " + tokenHint);
            default -> switch (status) {
                case 401, 403 -> new HubException(Kind.UNAUTHORIZED, where + " refused access to " + repo + " (" + status + ")" + detail
                        + "; if the repository is private or gated, " + tokenHint);
                case 404 -> new HubException(file == null ? Kind.REPO_NOT_FOUND : Kind.FILE_NOT_FOUND,
                        (file == null ? "repository " + repo : repo + "/" + file) + " not found on " + where + " (404)" + detail);
                case 416 -> new HubException(Kind.PROTOCOL, "the server refused the byte range of a resumed download of " + repo + "/" + file);
                default -> new HubException(Kind.SERVER, where + " answered " + status + detail + " for " + repo
                        + (file != null ? "/" + file : "") + "; try again later");
            };
        };
    }

    /** ETags come quoted, and weak ones prefixed with W/. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    private static long parseSize(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
        return false;
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the body of an answer we do not read
        }
    }
}
