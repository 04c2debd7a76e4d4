package io.bitnet4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.gguf.TensorRows;
import io.bitnet4j.synthetic.SyntheticModel;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Low-memory mode: F16 rows read on demand from the file (concurrently, through interrupts, failing clearly on a
 * truncated file), the checked cache of the quantized output copy, and greedy output equal to the default path's.
 */
class LowMemoryTest {
    @TempDir
    static Path dir;
    static Path tiny;

    @BeforeAll
    static void writeModel() throws Exception {
        tiny = dir.resolve("tiny.gguf");
        SyntheticModel.write(tiny, SyntheticModel.Spec.tiny(), null, 7);
    }

    static Model.Options low(String backend) {
        return Model.Options.builder().threads(2).backend(Backend.parse(backend)).lowMemory(true).build();
    }

    @Test
    void rowsReadOnDemandAreTheFilesUnderConcurrencyAndInterrupts() throws Exception {
        try (GgufFile g = GgufFile.open(tiny)) {
            GgufTensorInfo t = g.tensor("token_embd.weight");
            int rows = (int) t.shape()[1], cols = (int) t.shape()[0];
            MemorySegment table = g.data(t);
            try (TensorRows reader = new TensorRows(g, t, rows, 2L * cols)) {
                int workers = 8, reads = 3000;
                var failures = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
                var checked = new java.util.concurrent.atomic.AtomicInteger();
                List<Thread> threads = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    int worker = w;
                    threads.add(Thread.ofPlatform().start(() -> {
                        SplittableRandom random = new SplittableRandom(worker);
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment buf = arena.allocate(2L * cols * 3);
                            for (int i = 0; i < reads; i++) {
                                int first = random.nextInt(rows - 2), count = 1 + random.nextInt(3);
                                reader.read(first, count, buf, 0);
                                Thread.interrupted(); // the interrupter's flag, kept by the reader for us
                                long bytes = 2L * cols * count;
                                if (MemorySegment.mismatch(buf, 0, bytes, table, 2L * cols * first, 2L * cols * first + bytes) != -1)
                                    throw new AssertionError("rows " + first + "+" + count + " differ from the file");
                                checked.incrementAndGet();
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                // interrupts during reads close a FileChannel for every thread: the reader reopens it and reads again
                SplittableRandom random = new SplittableRandom(99);
                while (threads.stream().anyMatch(Thread::isAlive)) {
                    threads.get(random.nextInt(workers)).interrupt();
                    Thread.sleep(0, 200_000);
                }
                for (Thread th : threads) th.join();
                assertTrue(failures.isEmpty(), "failures: " + failures);
                assertEquals(workers * reads, checked.get());
                Thread.currentThread().interrupt();
                reader.read(3, 1, MemorySegment.ofArray(new byte[2 * cols]), 0);
                assertTrue(Thread.interrupted(), "a pending interrupt is kept for the caller");
                assertThrows(IndexOutOfBoundsException.class, () -> reader.read(rows - 1, 2, MemorySegment.ofArray(new byte[4 * cols]), 0));
            }
        }
    }

    @Test
    void aModelTruncatedAfterLoadingFailsClearlyInsteadOfReadingGarbage() throws Exception {
        Path copy = dir.resolve("truncated.gguf");
        Files.copy(tiny, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Model m = Model.load(copy, low("native")); Session s = m.newSession()) {
            s.decode(1);
            GgufTensorInfo t = m.gguf().tensor("token_embd.weight");
            assertThrows(IllegalStateException.class, () -> m.gguf().data(t), "the table is not in memory");
            int lastRowInFile = (int) ((Files.size(copy) - t.dataOffset()) / (2L * m.config().dim())) - 1;
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                ch.truncate(t.dataOffset() + t.byteSize() / 2);
            }
            int late = Math.min(lastRowInFile, m.config().vocabSize() - 1);
            var e = assertThrows(UncheckedIOException.class, () -> s.decode(late));
            assertInstanceOf(GgufException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("truncated"), e.getCause().getMessage());
            // the same file can no longer be loaded at all
            assertThrows(GgufException.class, () -> Model.load(copy, low("native")).close());
        }
    }

    /** The greedy tokens of n steps from token 1, and the last logits. */
    static int[] greedy(Model m, int n, float[][] lastLogits) {
        int[] out = new int[n];
        try (Session s = m.newSession()) {
            int token = 1;
            for (int i = 0; i < n; i++) {
                float[] logits = s.decode(token);
                token = out[i] = LogitsDump.argmax(logits);
                if (i == n - 1) lastLogits[0] = logits.clone();
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "vector", "java"})
    void lowMemoryGreedyEqualsTheDefaultAndItsLogitsTheInMemoryQ4Ones(String backend) throws Exception {
        Model.Options base = Model.Options.builder().threads(2).backend(Backend.parse(backend)).build();
        float[][] f16 = new float[1][], q4 = new float[1][], lowLogits = new float[1][];
        int[] want, inMemoryQ4, got;
        try (Model m = Model.load(tiny, base)) { want = greedy(m, 40, f16); }
        try (Model m = Model.load(tiny, base.toBuilder().outputType(OutputType.Q4).build())) { inMemoryQ4 = greedy(m, 40, q4); }
        try (Model m = Model.load(tiny, base.toBuilder().lowMemory(true).outputType(null).build())) {
            assertEquals(OutputType.Q4, m.options().outputType(), "low memory ranks with q4 unless told otherwise");
            got = greedy(m, 40, lowLogits);
        }
        assertArrayEquals(want, got, "greedy tokens as with the F16 table in memory");
        assertArrayEquals(inMemoryQ4, got);
        assertArrayEquals(q4[0], lowLogits[0], "the same copy and the same rescored rows: the same logits bit for bit");
    }

    @Test
    void lowMemoryGreedyEqualsTheDefaultOnTheBundledModel() throws Exception {
        float[][] last = new float[1][];
        int[] want, got;
        try (Model m = Model.load(BundledModelTest.MODEL, Model.Options.builder().threads(2).build())) { want = greedy(m, 64, last); }
        for (boolean mapped : new boolean[] {false, true})
            try (Model m = Model.load(BundledModelTest.MODEL, Model.Options.builder().threads(2).lowMemory(true).mapFile(mapped).build())) {
                got = greedy(m, 64, last);
                assertArrayEquals(want, got, "mapped " + mapped);
            }
    }

    @Test
    void optionsThatCannotWorkTogetherAreRefused() {
        var b = Model.Options.builder().lowMemory(true);
        assertThrows(IllegalArgumentException.class, () -> b.outputType(OutputType.F16).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().lowMemory(true).numerics(Numerics.EXACT).build());
        assertThrows(IllegalArgumentException.class, () -> Model.Options.builder().outputCache(true).build());
        assertEquals(OutputType.I8, Model.Options.builder().lowMemory(true).outputType(OutputType.I8).build().outputType());
    }

    static String source(Model m) {
        return m.describe().get("output projection");
    }

    static byte[] copyBytes(Model m) {
        var q = m.outputQ4();
        byte[] data = q.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), scales = q.scales().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        byte[] all = java.util.Arrays.copyOf(data, data.length + scales.length);
        System.arraycopy(scales, 0, all, data.length, scales.length);
        return all;
    }

    @Test
    void theOutputCacheIsUsedOnlyWhileItMatchesTheModel() throws Exception {
        Path model = dir.resolve("cached.gguf");
        Files.copy(tiny, model, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path cache = OutputCopy.cachePath(model, OutputType.Q4);
        assertEquals(dir.resolve("cached.gguf.q4.b4j-output"), cache);
        Model.Options options = low("native").toBuilder().outputCache(true).build();
        byte[] fresh;
        try (Model m = Model.load(model, Model.Options.builder().threads(2).outputType(OutputType.Q4).build())) { fresh = copyBytes(m); }

        try (Model m = Model.load(model, options)) {
            assertTrue(source(m).contains("made at load (cache absent), cached at " + cache), source(m));
            assertArrayEquals(fresh, copyBytes(m));
        }
        try (Model m = Model.load(model, options)) {
            assertTrue(source(m).contains("read from " + cache), source(m));
            assertArrayEquals(fresh, copyBytes(m));
        }

        // the table changed in place, same size and modification time: the table CRC notices
        FileTime time = Files.getLastModifiedTime(model);
        long at;
        try (GgufFile g = GgufFile.open(model)) { at = g.tensor("token_embd.weight").dataOffset() + 1000; }
        byte[] old = rewrite(model, at, new byte[] {0x11, 0x22});
        Files.setLastModifiedTime(model, time);
        try (Model m = Model.load(model, options)) {
            assertTrue(source(m).contains("cache stale: the model's output table changed"), source(m));
            assertFalse(java.util.Arrays.equals(fresh, copyBytes(m)), "the copy of the changed table");
        }
        rewrite(model, at, old);
        Files.setLastModifiedTime(model, FileTime.fromMillis(time.toMillis() + 5000)); // restored bytes, new time
        try (Model m = Model.load(model, options)) {
            assertTrue(source(m).contains("cache stale: made for another model file, size or modification time"), source(m));
            assertArrayEquals(fresh, copyBytes(m));
        }

        // a cache cut short, one with a flipped payload byte, and a foreign file are rebuilt
        try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.WRITE)) { ch.truncate(ch.size() - 7); }
        try (Model m = Model.load(model, options)) { assertTrue(source(m).contains("cache truncated or too long"), source(m)); }
        rewrite(cache, OutputCopy.HEADER + 123, new byte[] {(byte) ~Files.readAllBytes(cache)[OutputCopy.HEADER + 123]});
        try (Model m = Model.load(model, options)) {
            assertTrue(source(m).contains("cache corrupt (payload CRC)"), source(m));
            assertArrayEquals(fresh, copyBytes(m));
        }
        Files.write(cache, new byte[100]);
        try (Model m = Model.load(model, options)) { assertTrue(source(m).contains("not a bitnet4j output cache"), source(m)); }
        try (Model m = Model.load(model, options)) { assertTrue(source(m).contains("read from"), source(m)); }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    /** Overwrites bytes at an offset, returning what was there. */
    static byte[] rewrite(Path file, long at, byte[] bytes) throws Exception {
        byte[] old = new byte[bytes.length];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.read(ByteBuffer.wrap(old), at);
            ch.write(ByteBuffer.wrap(bytes), at);
        }
        return old;
    }
}
