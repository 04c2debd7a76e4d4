package io.bitnet4j.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A Spark standalone cluster on this machine: a master and workers, each its own JVM bound to 127.0.0.1, run
 * from Spark's own classes in the Maven artifacts. The class path of this JVM is split in two: Spark and its
 * dependencies become the cluster's installation (a SPARK_HOME whose jars/ links to them, which is where workers
 * take their executors' class path from); bitnet4j's jars (this module's classes jarred, bitnet4j-core, its
 * natives and JavaCPP) are the application, shipped to the executors by the job ({@code spark.jars}).
 * {@link #close} stops every process it started, executors included.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Duration STARTUP = Duration.ofSeconds(120);
    private static final String MASTER = "org.apache.spark.deploy.master.Master", WORKER = "org.apache.spark.deploy.worker.Worker";

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final List<ProcessHandle> started = new ArrayList<>();
    private final Set<String> applicationJars = new LinkedHashSet<>(); // the reactor may list a class dir twice
    private final int masterPort, masterUiPort;
    private final Thread stopAtExit = new Thread(this::close, "stop the standalone cluster"); // if the JVM ends first

    private StandaloneCluster(Path dir) throws IOException {
        this.dir = dir;
        this.masterPort = freePort();
        this.masterUiPort = freePort();
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** A master and {@code workers} workers of {@code cores} cores and {@code memory} (e.g. "1g") each, all registered. */
    static StandaloneCluster start(Path dir, int workers, int cores, String memory) throws IOException, InterruptedException {
        StandaloneCluster cluster = new StandaloneCluster(dir);
        try {
            Path sparkHome = cluster.splitClassPath();
            cluster.launch("master", MASTER, List.of(), "--host", "127.0.0.1", "--port", Integer.toString(cluster.masterPort),
                    "--webui-port", Integer.toString(cluster.masterUiPort));
            cluster.awaitPort(cluster.masterPort, "master");
            for (int i = 1; i <= workers; i++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + i));
                cluster.launch("worker-" + i, WORKER, List.of("SPARK_HOME=" + sparkHome, "SPARK_SCALA_VERSION=2.13", "SPARK_LOCAL_IP=127.0.0.1",
                                "JAVA_HOME=" + System.getProperty("java.home")),
                        "--host", "127.0.0.1", "--cores", Integer.toString(cores), "--memory", memory,
                        "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString(), cluster.masterUrl());
            }
            cluster.awaitWorkers(workers);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The jars a job on this cluster ships to its executors (spark.jars). */
    String applicationJars() {
        return String.join(",", applicationJars);
    }

    /**
     * JVM options for the job's executors: JavaCPP extracts the natives into a cache of this cluster's own. The
     * default cache (~/.javacpp/cache) is keyed by the jar's file name, which other builds on the same machine share
     * with other contents (bitnet4j-core-VERSION-PLATFORM.jar, or the bitnet4j-core.jar jarred here); JavaCPP then
     * re-extracts a library over the copy another JVM is about to load.
     */
    String executorJavaOptions() {
        return "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("javacpp-cache");
    }

    /** Every process started so far, executors included (they are the workers' children). */
    List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>(started);
        for (Process p : processes) p.toHandle().descendants().forEach(all::add);
        return all;
    }

    /**
     * The Spark installation (a SPARK_HOME with jars/ linking to this JVM's Spark jars) and the application jars,
     * from this JVM's class path. What is bitnet4j's is told by content, not by where Maven resolved it from (the
     * reactor's target dirs or the local repository): were bitnet4j-core in the installation but JavaCPP shipped
     * with the job, the executors' system class loader would hold NativeBackend without JavaCPP.
     */
    private Path splitClassPath() throws IOException {
        Path jars = Files.createDirectories(dir.resolve("spark-home/jars"));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                // a module's classes while its tests run (before it is packaged); test classes stay on the driver
                if (!p.endsWith("test-classes") && Files.isDirectory(p.resolve("io/bitnet4j"))) applicationJars.add(jarOf(p).toString());
            } else if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                if (isApplication(p)) {
                    applicationJars.add(p.toString());
                } else {
                    Path link = jars.resolve(p.getFileName());
                    if (!Files.exists(link)) Files.createSymbolicLink(link, p);
                }
            }
        }
        return jars.getParent();
    }

    /** A bitnet4j jar (classes or a platform's natives) or JavaCPP, bitnet4j-core's one dependency. */
    private static boolean isApplication(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.getEntry("org/bytedeco/javacpp/Loader.class") != null || j.stream().anyMatch(e -> e.getName().startsWith("io/bitnet4j/"));
        }
    }

    /** A jar of a class directory (a module's target/classes while its tests run, before it is packaged). */
    private Path jarOf(Path classes) throws IOException {
        Path jar = dir.resolve(classes.getParent().getParent().getFileName() + ".jar");
        if (Files.exists(jar)) return jar;
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                zip.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, zip);
                zip.closeEntry();
            }
        }
        return jar;
    }

    /** Starts java mainClass args on the Spark installation's class path, output to NAME.log. */
    private void launch(String name, String mainClass, List<String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", dir.resolve("spark-home/jars") + "/*", "-Xmx384m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")); // the daemons only coordinate: the quick JIT and GC will do
        cmd.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptionArray()));
        cmd.add(mainClass);
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        for (String kv : env) pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        Process p = pb.start();
        processes.add(p);
        started.add(p.toHandle());
    }

    private void awaitPort(int port, String what) throws InterruptedException {
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                checkAlive();
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("the " + what + " did not open port " + port + " within " + STARTUP + "\n" + logs());
    }

    /** Polls the master's JSON status page until it counts n alive workers. */
    private void awaitWorkers(int n) throws InterruptedException {
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        long deadline = System.nanoTime() + STARTUP.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/")).timeout(Duration.ofSeconds(5)).build();
            while (System.nanoTime() < deadline) {
                checkAlive();
                try {
                    Matcher m = alive.matcher(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
                    if (m.find() && Integer.parseInt(m.group(1)) >= n) return;
                } catch (IOException notYet) {
                    // the web UI starts after the RPC port
                }
                Thread.sleep(500);
            }
        }
        throw new IllegalStateException(n + " workers did not register within " + STARTUP + "\n" + logs());
    }

    private void checkAlive() {
        for (Process p : processes)
            if (!p.isAlive()) throw new IllegalStateException("a cluster process exited (" + p.exitValue() + ")\n" + logs());
    }

    /**
     * Every process's log for a failure message, executors' included (their stderr in the workers' work dirs): in
     * each, the first stack trace (an executor's first error, e.g. a static initializer's, is the one that explains
     * the later ones) and the last lines.
     */
    String logs() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") || f.getFileName().toString().equals("stderr")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1);
                out.append("== ").append(dir.relativize(f)).append('\n');
                int first = firstStackTrace(lines), tail = Math.max(0, lines.size() - 30);
                if (first >= 0 && first < tail) {
                    out.append("-- its first stack trace (line ").append(first + 1).append("):\n");
                    lines.subList(first, Math.min(tail, first + 60)).forEach(l -> out.append(l).append('\n'));
                    out.append("-- its last lines:\n");
                }
                lines.subList(tail, lines.size()).forEach(l -> out.append(l).append('\n'));
            }
        } catch (IOException e) {
            out.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
        }
        return out.toString();
    }

    /** Two lines before the first "\tat " frame (the log line and the exception's message), or -1. */
    private static int firstStackTrace(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("\tat ")) return Math.max(0, i - 2);
        return -1;
    }

    /** Stops the workers' executors, the workers and the master (SIGTERM, then SIGKILL after 20 s), and waits for them. */
    @Override
    public void close() {
        try {
            if (Thread.currentThread() != stopAtExit) Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or ran) anyway
        }
        List<ProcessHandle> all = processes(); // before stopping: children are only found while their parent lives
        for (int i = all.size() - 1; i >= 0; i--) all.get(i).destroy();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(Math.max(1, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (Exception stillRunning) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("process " + p.pid() + " survived SIGKILL", e);
            }
        }
        removeSparkHome();
    }

    /** The links to the local repository's Spark jars (JUnit's temporary-directory cleanup warns about each one). */
    private void removeSparkHome() {
        try (Stream<Path> files = Files.walk(dir.resolve("spark-home"))) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f); // a link, not its target
        } catch (IOException | java.io.UncheckedIOException e) {
            // left to the caller's cleanup of dir
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
