package io.bitnet4j.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback imitation of the Hugging Face Hub, as its public documentation describes the API: the model listing
 * ({@code /api/models/REPO[/revision/REV]}, {@code siblings} with {@code lfs} info under {@code ?blobs=true}), the
 * resolve endpoint (HEAD and GET; LFS files answer 302 to a separate storage origin with {@code X-Linked-Etag} =
 * SHA-256, {@code X-Linked-Size}, {@code X-Repo-Commit}, and an {@code ETag} that is the pointer file's git id, as
 * the hub does), {@code X-Error-Code} errors (401 for unknown repositories without a token, gated repositories),
 * and a storage server with range requests. Faults on demand: connections cut mid-file, corrupted bytes, a slow
 * line, an advertised size larger than any disk. Every request is recorded.
 */
public final class FakeHub implements AutoCloseable {

    /** One request as the server saw it. {@code server} is "hub" or "storage". */
    public record Request(String server, String method, String path, String range, String authorization) {}

    private record Entry(byte[] content, boolean lfs, String sha256, String gitId, long advertisedSize) {}

    private record Repo(String commit, Map<String, Entry> files, String token) {}

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer hub;
    private final HttpServer storage;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger cutsLeft = new AtomicInteger();
    private volatile long cutAfterBytes;
    private volatile boolean corrupt;
    private volatile long bytesPerSecond;

    private FakeHub() throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(loopback, 0);
        storage = HttpServer.create(loopback, 0);
        hub.createContext("/api/models/", this::listing);
        hub.createContext("/", this::resolve);
        storage.createContext("/", this::serveBlob);
        hub.setExecutor(threads);
        storage.setExecutor(threads);
        hub.start();
        storage.start();
    }

    public static FakeHub start() throws IOException {
        return new FakeHub();
    }

    /** What HF_ENDPOINT should be. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds (or replaces) a file; LFS files are served the way model files are, others as plain git files. */
    public FakeHub addFile(String repo, String path, byte[] content, boolean lfs) {
        return addFile(repo, path, content, lfs, content.length);
    }

    /** Adds a file whose size the hub announces as {@code advertisedSize} (for the disk-full check). */
    public FakeHub addFile(String repo, String path, byte[] content, boolean lfs, long advertisedSize) {
        Repo r = repos.computeIfAbsent(repo, k -> new Repo(gitBlobId(k.getBytes(StandardCharsets.UTF_8)), new ConcurrentHashMap<>(), null));
        r.files().put(path, new Entry(content, lfs, sha256(content), gitBlobId(content), advertisedSize));
        return this;
    }

    /** Makes a repository gated: only requests with this bearer token get its files. */
    public FakeHub gate(String repo, String token) {
        Repo r = repos.get(repo);
        repos.put(repo, new Repo(r.commit(), r.files(), token));
        return this;
    }

    public String commit(String repo) {
        return repos.get(repo).commit();
    }

    /** The next {@code count} storage downloads send {@code afterBytes} bytes, then drop the connection. */
    public void cutNextDownloads(int count, long afterBytes) {
        cutAfterBytes = afterBytes;
        cutsLeft.set(count);
    }

    /** Storage downloads flip one byte in the middle of the file. */
    public void corruptDownloads(boolean on) {
        corrupt = on;
    }

    /** Storage downloads send at most this many bytes per second (0: as fast as possible). */
    public void throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The GETs the storage server answered (downloads and resumptions). */
    public List<Request> downloads() {
        return requests.stream().filter(r -> r.server().equals("storage") && r.method().equals("GET")).toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    @Override
    public void close() {
        hub.stop(0);
        storage.stop(0);
        threads.shutdownNow();
    }

    public static String sha256(byte[] content) {
        return hex("SHA-256", new byte[0], content);
    }

    /** git's blob id: SHA-1 of "blob SIZE\0" and the contents; the hub's ETag of non-LFS files. */
    public static String gitBlobId(byte[] content) {
        return hex("SHA-1", ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII), content);
    }

    // --- the hub

    private void listing(HttpExchange ex) throws IOException {
        try (ex) {
            record(ex, "hub");
            // /api/models/ORG/NAME or /api/models/ORG/NAME/revision/REV
            String[] parts = ex.getRequestURI().getRawPath().substring("/api/models/".length()).split("/");
            if (parts.length != 2 && !(parts.length == 4 && parts[2].equals("revision"))) {
                send(ex, 404, new byte[0]);
                return;
            }
            Repo repo = visibleRepo(ex, parts[0] + "/" + parts[1]);
            if (repo == null) return;
            if (parts.length == 4 && !knownRevision(repo, decode(parts[3]))) {
                error(ex, 404, "RevisionNotFound", "Invalid rev id: " + decode(parts[3]));
                return;
            }
            boolean blobs = "blobs=true".equals(ex.getRequestURI().getRawQuery());
            ObjectNode root = JSON.createObjectNode().put("id", parts[0] + "/" + parts[1]).put("sha", repo.commit());
            ArrayNode siblings = root.putArray("siblings");
            repo.files().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                ObjectNode s = siblings.addObject().put("rfilename", e.getKey());
                Entry f = e.getValue();
                if (blobs) {
                    s.put("size", f.advertisedSize()).put("blobId", f.gitId());
                    if (f.lfs()) s.putObject("lfs").put("sha256", f.sha256()).put("size", f.advertisedSize()).put("pointerSize", 134);
                }
            });
            ex.getResponseHeaders().set("Content-Type", "application/json");
            send(ex, 200, JSON.writeValueAsBytes(root));
        }
    }

    private void resolve(HttpExchange ex) throws IOException {
        try (ex) {
            record(ex, "hub");
            // /ORG/NAME/resolve/REV/PATH...
            String[] parts = ex.getRequestURI().getRawPath().substring(1).split("/");
            if (parts.length < 5 || !parts[2].equals("resolve")) {
                send(ex, 404, new byte[0]);
                return;
            }
            Repo repo = visibleRepo(ex, parts[0] + "/" + parts[1]);
            if (repo == null) return;
            String revision = decode(parts[3]);
            if (!knownRevision(repo, revision)) {
                error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
                return;
            }
            String path = String.join("/", Arrays.stream(parts, 4, parts.length).map(FakeHub::decode).toList());
            Entry f = repo.files().get(path);
            if (f == null) {
                error(ex, 404, "EntryNotFound", path + " does not exist on \"" + revision + "\"");
                return;
            }
            var h = ex.getResponseHeaders();
            h.set("X-Repo-Commit", repo.commit());
            if (f.lfs()) {
                // the ETag of an LFS file's resolve answer is the pointer file's git id: only X-Linked-Etag is the SHA-256
                h.set("ETag", "\"" + gitBlobId(("version https://git-lfs.github.com/spec/v1\noid sha256:" + f.sha256()).getBytes(StandardCharsets.UTF_8)) + "\"");
                h.set("X-Linked-Etag", "\"" + f.sha256() + "\"");
                h.set("X-Linked-Size", Long.toString(f.advertisedSize()));
                h.set("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + "/repos/" + f.sha256() + "?X-Amz-Signature=fake");
                send(ex, 302, new byte[0]);
            } else {
                h.set("ETag", "\"" + f.gitId() + "\"");
                send(ex, 200, f.content());
            }
        }
    }

    /** The repository, or null after answering as the hub does: 401 for unknown ones without a token (it does not
     *  reveal which private repositories exist), 404 with one; 401/403 GatedRepo without the right token. */
    private Repo visibleRepo(HttpExchange ex, String id) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        Repo repo = repos.get(id);
        if (repo == null) {
            error(ex, auth == null ? 401 : 404, "RepoNotFound", "Repository not found");
            return null;
        }
        if (repo.token() != null && !("Bearer " + repo.token()).equals(auth)) {
            error(ex, auth == null ? 401 : 403, "GatedRepo", "Access to model " + id + " is restricted");
            return null;
        }
        return repo;
    }

    private static boolean knownRevision(Repo repo, String revision) {
        return revision.equals("main") || revision.equals(repo.commit());
    }

    // --- the storage (a CDN in front of LFS)

    private void serveBlob(HttpExchange ex) throws IOException {
        try (ex) {
            record(ex, "storage");
            String sha = ex.getRequestURI().getPath().substring("/repos/".length());
            Entry f = repos.values().stream().flatMap(r -> r.files().values().stream()).filter(e -> e.sha256().equals(sha)).findFirst().orElse(null);
            if (f == null) {
                send(ex, 404, new byte[0]);
                return;
            }
            byte[] content = f.content();
            if (corrupt) {
                content = content.clone();
                content[content.length / 2] ^= 0x5a;
            }
            long start = 0;
            Matcher m = RANGE.matcher(String.valueOf(ex.getRequestHeaders().getFirst("Range")));
            var h = ex.getResponseHeaders();
            h.set("ETag", "\"" + f.sha256() + "\"");
            h.set("Accept-Ranges", "bytes");
            int status = 200;
            if (m.matches()) {
                start = Long.parseLong(m.group(1));
                if (start >= content.length) {
                    h.set("Content-Range", "bytes */" + content.length);
                    send(ex, 416, new byte[0]);
                    return;
                }
                status = 206;
                h.set("Content-Range", "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
            }
            byte[] body = Arrays.copyOfRange(content, (int) start, content.length);
            ex.sendResponseHeaders(status, body.length);
            boolean cut = cutsLeft.getAndDecrement() > 0;
            int limit = cut ? (int) Math.min(cutAfterBytes, body.length) : body.length;
            writeSlowly(ex.getResponseBody(), body, limit);
            // closing the exchange with bytes missing makes the server drop the connection: the client sees a cut
        } catch (IOException e) {
            // the cut, or a client that went away
        }
    }

    private void writeSlowly(OutputStream out, byte[] body, int limit) throws IOException {
        int chunk = 16 * 1024;
        for (int off = 0; off < limit; off += chunk) {
            int n = Math.min(chunk, limit - off);
            out.write(body, off, n);
            out.flush();
            long rate = bytesPerSecond;
            if (rate > 0) {
                try {
                    Thread.sleep(n * 1000L / rate);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // --- helpers

    private void record(HttpExchange ex, String server) {
        var h = ex.getRequestHeaders();
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(), h.getFirst("Range"), h.getFirst("Authorization")));
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().set("X-Error-Code", code);
        ex.getResponseHeaders().set("X-Error-Message", message);
        send(ex, status, ("{\"error\":\"" + message.replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** HEAD answers carry the Content-Length a GET would have, without the body. */
    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        if (ex.getRequestMethod().equals("HEAD")) {
            if (status == 200) ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String hex(String algorithm, byte[] prefix, byte[] content) {
        try {
            MessageDigest d = MessageDigest.getInstance(algorithm);
            d.update(prefix);
            return HexFormat.of().formatHex(d.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
