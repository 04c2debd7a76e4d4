package io.bitnet4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bitnet4j.generation.Generator.StopReason;
import io.bitnet4j.model.ContextOverflowException;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The continuous-batching generator on the bundled model: same output as alone, queueing, cache, faults. */
class BatchGeneratorTest {
    static final Path MODEL = Path.of(System.getProperty("bitnet4j.home", "..")).resolve("models/bitnet-kjv-4m.gguf");
    static final SamplingParams GREEDY = SamplingParams.greedyParams();
    static final SamplingParams SAMPLED = SamplingParams.defaults().withSeed(7);

    static Model model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        // one worker: the model is tiny, and on a loaded machine a second one mostly waits for its turn
        model = Model.load(MODEL, Model.Options.builder().threads(1).build());
        tokenizer = GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final String[] TEXTS = {
        "In the beginning", "And it came to pass, when the king heard", "The LORD is my shepherd",
        "And he said unto them, Go ye into all the world, and preach the gospel to every creature. And",
        "Blessed are", "Now the serpent was more subtil than any beast of the field which the LORD God had made",
    };

    static int[] prompt(String text) {
        return tokenizer.encodeWithBos(text, false);
    }

    /** The same request through the single-session Generator, in a fresh session. */
    static Generator.Result alone(int[] prompt, int maxTokens, SamplingParams params, List<String> stops) {
        try (Session s = model.newSession()) {
            return new Generator(s, tokenizer, SamplerChain.from(params)).generate(prompt, maxTokens, stops, Generator.Listener.NONE);
        }
    }

    static BatchGenerator start(BatchGenerator.Config config) {
        return BatchGenerator.start(model, tokenizer, config, BatchGenerator.StepObserver.NONE);
    }

    /** Collects the pieces a listener hears, to compare with the completion. */
    static final class Recorder implements GenerationListener {
        final StringBuilder text = new StringBuilder();
        final List<Integer> tokens = new ArrayList<>();
        volatile Completion completed;
        volatile RuntimeException failed;

        @Override public void onToken(int token) { tokens.add(token); }
        @Override public void onText(String piece) { assertTrue(!piece.isEmpty()); text.append(piece); }
        @Override public void onComplete(Completion c) { completed = c; }
        @Override public void onError(RuntimeException e) { failed = e; }
    }

    @Test
    void batchingChangesNoOutputGreedyOrSampled() throws Exception {
        int maxTokens = 40;
        // small prefill chunks (7) against the Generator's one 64-token pass: every row is computed as alone
        try (BatchGenerator generator = start(new BatchGenerator.Config(4, 16, 0, 7, true))) {
            List<Generation> handles = new ArrayList<>();
            List<Recorder> recorders = new ArrayList<>();
            List<Generator.Result> expected = new ArrayList<>();
            for (int i = 0; i < TEXTS.length * 2; i++) { // 12 requests on 4 sessions: joins and leaves at every step
                SamplingParams params = i % 2 == 0 ? GREEDY : SAMPLED.withSeed(100 + i);
                int[] prompt = prompt(TEXTS[i % TEXTS.length]);
                expected.add(alone(prompt, maxTokens, params, List.of()));
                Recorder r = new Recorder();
                recorders.add(r);
                handles.add(generator.submit(GenerationRequest.of(prompt, maxTokens, params), r));
            }
            for (int i = 0; i < handles.size(); i++) {
                Completion c = handles.get(i).completion().get(30, TimeUnit.SECONDS);
                Generator.Result want = expected.get(i);
                assertArrayEquals(want.tokens(), c.tokens(), "request " + i + " tokens");
                assertEquals(want.text(), c.text(), "request " + i + " text");
                assertEquals(want.stopReason(), c.stopReason(), "request " + i);
                assertEquals(c.text(), recorders.get(i).text.toString(), "the pieces add up to the text");
                assertArrayEquals(c.tokens(), recorders.get(i).tokens.stream().mapToInt(Integer::intValue).toArray());
                assertEquals(c, recorders.get(i).completed);
            }
            assertEquals(0, generator.stats().active());
        }
    }

    @Test
    void theSchedulerDoesNotKeepTheJvmAlive() {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults())) {
            List<Thread> schedulers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("bitnet4j-batch-scheduler")).toList();
            assertTrue(!schedulers.isEmpty());
            schedulers.forEach(t -> assertTrue(t.isDaemon(), "an embedding program that forgets close() still exits"));
        }
    }

    @Test
    void stopStringsCutTheTextAsTheGeneratorDoes() throws Exception {
        int[] prompt = prompt("And God said, Let there be light");
        Generator.Result free = alone(prompt, 60, GREEDY, List.of());
        // a stop string that the model does produce: the second word of its continuation, as it was generated
        String[] words = free.text().trim().split(" ");
        String stop = words[Math.min(2, words.length - 1)];
        Generator.Result want = alone(prompt, 60, GREEDY, List.of(stop));
        assertEquals(StopReason.STOP_STRING, want.stopReason());
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults())) {
            Recorder r = new Recorder();
            Completion c = generator.submit(GenerationRequest.of(prompt, 60, GREEDY).withStopStrings(List.of(stop)), r)
                    .completion().get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.STOP_STRING, c.stopReason());
            assertEquals(want.text(), c.text());
            assertTrue(!c.text().contains(stop), c.text());
            assertEquals(c.text(), r.text.toString(), "held-back text that began the stop string was never sent");

            Completion limited = generator.submit(GenerationRequest.of(prompt, 5, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.MAX_TOKENS, limited.stopReason());
            assertEquals(5, limited.completionTokens());
            assertEquals(prompt.length, limited.promptTokens());
        }
    }

    @Test
    void promptCacheReusesTheSessionOfTheConversationItContinues() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults().withParallel(2))) {
            int[] first = prompt(TEXTS[3]);
            Completion turn1 = generator.submit(GenerationRequest.of(first, 20, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            assertEquals(0, turn1.cachedPromptTokens());
            // another conversation in between takes the other session (least recently used)
            generator.submit(GenerationRequest.of(prompt(TEXTS[0]), 20, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            // the next turn re-sends the history: prompt + reply + new text
            int[] reply = turn1.tokens();
            int[] more = tokenizer.encode(" And the LORD said", false);
            int[] second = concat(concat(first, reply), more);
            Completion turn2 = generator.submit(GenerationRequest.of(second, 20, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            // the cache holds the prompt and every reply token but the last (sampled, never fed)
            assertEquals(first.length + reply.length - 1, turn2.cachedPromptTokens());
            assertArrayEquals(alone(second, 20, GREEDY, List.of()).tokens(), turn2.tokens(), "reuse changes no output");
            // the same prompt again: all of it but the last token (its logits are needed) comes from the cache
            Completion again = generator.submit(GenerationRequest.of(second, 20, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            assertEquals(second.length - 1, again.cachedPromptTokens());
            assertArrayEquals(turn2.tokens(), again.tokens());
            var stats = generator.stats();
            assertEquals(turn2.cachedPromptTokens() + again.cachedPromptTokens(), stats.cachedPromptTokens());
        }
        try (BatchGenerator uncached = start(BatchGenerator.Config.defaults().withPromptCache(false))) {
            int[] p = prompt(TEXTS[2]);
            uncached.submit(GenerationRequest.of(p, 5, GREEDY), GenerationListener.NONE).completion().get(30, TimeUnit.SECONDS);
            assertEquals(0, uncached.submit(GenerationRequest.of(p, 5, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS).cachedPromptTokens());
        }
    }

    /** A listener that holds the scheduler on its first token until released: the generator is then surely busy. */
    static final class Gate implements GenerationListener {
        final CountDownLatch reached = new CountDownLatch(1), release = new CountDownLatch(1);

        @Override
        public void onToken(int token) {
            reached.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void pastTheQueueRequestsAreRefusedWithATypedException() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults().withParallel(1).withMaxQueued(1))) {
            Gate gate = new Gate();
            int[] p = prompt(TEXTS[0]);
            Generation running = generator.submit(GenerationRequest.of(p, 10, GREEDY), gate);
            assertTrue(gate.reached.await(20, TimeUnit.SECONDS));
            Generation queued = generator.submit(GenerationRequest.of(p, 10, GREEDY), GenerationListener.NONE);
            var e = assertThrows(QueueFullException.class, () -> generator.submit(GenerationRequest.of(p, 10, GREEDY), GenerationListener.NONE));
            assertEquals(1, e.parallel());
            assertEquals(1, e.queued());
            assertEquals(1, generator.stats().queued());
            gate.release.countDown();
            assertEquals(10, running.completion().get(30, TimeUnit.SECONDS).completionTokens());
            assertEquals(10, queued.completion().get(30, TimeUnit.SECONDS).completionTokens());
            // room again
            generator.submit(GenerationRequest.of(p, 1, GREEDY), GenerationListener.NONE).completion().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void cancellationFreesTheSessionAtTheNextStep() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults())) {
            AtomicInteger seen = new AtomicInteger();
            Generation[] self = new Generation[1];
            CountDownLatch submitted = new CountDownLatch(1);
            Generation g = generator.submit(GenerationRequest.of(prompt(TEXTS[1]), 200, SAMPLED), new GenerationListener() {
                @Override
                public void onToken(int token) {
                    try {
                        submitted.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (seen.incrementAndGet() == 3) self[0].cancel();
                }
            });
            self[0] = g;
            submitted.countDown();
            Completion c = g.completion().get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.CANCELLED, c.stopReason());
            assertEquals(3, c.completionTokens(), "no token after the cancelling one");
            assertEquals(0, generator.stats().active());
            // a cancelled request that was waiting leaves the queue without a session
            Gate gate = new Gate();
            BatchGenerator one = start(BatchGenerator.Config.defaults().withParallel(1));
            try (one) {
                Generation busy = one.submit(GenerationRequest.of(prompt(TEXTS[0]), 5, GREEDY), gate);
                assertTrue(gate.reached.await(20, TimeUnit.SECONDS));
                Generation waiting = one.submit(GenerationRequest.of(prompt(TEXTS[0]), 5, GREEDY), GenerationListener.NONE);
                waiting.cancel();
                gate.release.countDown();
                assertEquals(StopReason.CANCELLED, waiting.completion().get(30, TimeUnit.SECONDS).stopReason());
                assertEquals(0, waiting.completion().get().completionTokens());
                busy.completion().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void timeoutsFailTheRequestAndFreeItsSession() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults().withParallel(1))) {
            Gate gate = new Gate();
            Generation slow = generator.submit(GenerationRequest.of(prompt(TEXTS[0]), 50, GREEDY)
                    .withTimeout(Duration.ofMillis(100)), gate);
            assertTrue(gate.reached.await(20, TimeUnit.SECONDS));
            Recorder waiter = new Recorder();
            Generation queued = generator.submit(GenerationRequest.of(prompt(TEXTS[0]), 50, GREEDY)
                    .withTimeout(Duration.ofMillis(100)), waiter);
            Thread.sleep(300);
            gate.release.countDown();
            var e = assertThrows(Exception.class, () -> slow.completion().get(30, TimeUnit.SECONDS));
            var timeout = assertInstanceOf(GenerationTimeoutException.class, e.getCause());
            // the first token (from the prompt pass) and at most the one decoded in the same iteration
            assertTrue(timeout.generatedTokens() >= 1 && timeout.generatedTokens() <= 2, timeout.getMessage());
            e = assertThrows(Exception.class, () -> queued.completion().get(30, TimeUnit.SECONDS));
            assertInstanceOf(GenerationTimeoutException.class, e.getCause());
            assertInstanceOf(GenerationTimeoutException.class, waiter.failed);
            assertEquals(0, generator.stats().active());
            // the session serves the next request
            assertEquals(3, generator.submit(GenerationRequest.of(prompt(TEXTS[0]), 3, GREEDY), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS).completionTokens());
        }
    }

    @Test
    void badRequestsAreRefusedAtSubmission() {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults().withContextLength(32))) {
            int[] tooLong = new int[33];
            Arrays.fill(tooLong, 100);
            var overflow = assertThrows(ContextOverflowException.class, () -> generator.submit(GenerationRequest.of(tooLong, 1, GREEDY), GenerationListener.NONE));
            assertEquals(33, overflow.tokens());
            assertEquals(32, overflow.contextLength());
            assertThrows(IllegalArgumentException.class, () -> generator.submit(GenerationRequest.of(new int[] {1, 99999}, 1, GREEDY), GenerationListener.NONE));
            SamplingParams bad = new SamplingParams(0.8f, 40, 2f, 0f, 1f, 64, 0f, 0f, 1);
            assertThrows(IllegalArgumentException.class, () -> generator.submit(GenerationRequest.of(new int[] {1}, 1, bad), GenerationListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> GenerationRequest.of(new int[0], 1, GREEDY));
            assertEquals(0, generator.stats().submitted(), "nothing refused was counted");
        }
    }

    @Test
    void aFullContextEndsTheGeneration() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults().withContextLength(24))) {
            int[] p = prompt(TEXTS[0]);
            Completion c = generator.submit(GenerationRequest.of(p, 100, SAMPLED), GenerationListener.NONE)
                    .completion().get(30, TimeUnit.SECONDS);
            if (c.stopReason() != StopReason.END_OF_GENERATION) {
                assertEquals(StopReason.CONTEXT_FULL, c.stopReason());
                assertEquals(24 - p.length + 1, c.completionTokens(), "one token per free position, plus the last sampled");
            }
        }
    }

    @Test
    void aThrowingListenerCancelsOnlyItsOwnRequest() throws Exception {
        try (BatchGenerator generator = start(BatchGenerator.Config.defaults())) {
            Generation bad = generator.submit(GenerationRequest.of(prompt(TEXTS[1]), 30, GREEDY), new GenerationListener() {
                @Override public void onToken(int token) { throw new IllegalStateException("listener bug (expected in this test)"); }
            });
            Generation good = generator.submit(GenerationRequest.of(prompt(TEXTS[2]), 30, GREEDY), GenerationListener.NONE);
            assertEquals(StopReason.CANCELLED, bad.completion().get(30, TimeUnit.SECONDS).stopReason());
            assertArrayEquals(alone(prompt(TEXTS[2]), 30, GREEDY, List.of()).tokens(), good.completion().get(30, TimeUnit.SECONDS).tokens());
        }
    }

    @Test
    void shutdownFinishesRunningRequestsWithinTheGraceAndThenRefuses() throws Exception {
        BatchGenerator generator = start(BatchGenerator.Config.defaults().withParallel(2));
        List<Generation> running = new ArrayList<>();
        for (int i = 0; i < 4; i++)
            running.add(generator.submit(GenerationRequest.of(prompt(TEXTS[i]), 20, GREEDY), GenerationListener.NONE));
        assertTrue(generator.shutdown(Duration.ofSeconds(30)));
        for (Generation g : running) assertTrue(g.completion().isDone() && !g.completion().isCompletedExceptionally());
        assertThrows(IllegalStateException.class, () -> generator.submit(GenerationRequest.of(prompt(TEXTS[0]), 1, GREEDY), GenerationListener.NONE));
        generator.close(); // again: nothing to do

        // no grace: what still runs fails with a CancellationException
        BatchGenerator busy = start(BatchGenerator.Config.defaults().withParallel(1));
        Gate gate = new Gate();
        Generation held = busy.submit(GenerationRequest.of(prompt(TEXTS[0]), 50, GREEDY), gate);
        Generation queued = busy.submit(GenerationRequest.of(prompt(TEXTS[0]), 50, GREEDY), GenerationListener.NONE);
        assertTrue(gate.reached.await(20, TimeUnit.SECONDS));
        Thread closer = Thread.ofVirtual().start(busy::close);
        Thread.sleep(50);
        gate.release.countDown();
        closer.join(20_000);
        var e = assertThrows(CompletionException.class, () -> held.completion().join());
        assertInstanceOf(CancellationException.class, e.getCause());
        assertThrows(Exception.class, () -> queued.completion().join());
        assertTrue(queued.completion().isCompletedExceptionally());
    }

    @Test
    void ignoringEndOfGenerationRunsToTheTokenLimit(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // a random-weight model with a 512-token vocabulary: sampling at temperature 1.5 soon draws an end token
        Path file = dir.resolve("random.gguf");
        io.bitnet4j.synthetic.SyntheticModel.write(file, io.bitnet4j.synthetic.SyntheticModel.Spec.tiny(), null, 3);
        try (Model random = Model.load(file, Model.Options.builder().threads(1).build());
             BatchGenerator generator = BatchGenerator.start(random, BatchGenerator.Config.defaults())) {
            int[] prompt = {generator.tokenizer().bos(), 300, 301, 302};
            Long seed = null;
            for (long s = 0; s < 50 && seed == null; s++) {
                Completion c = generator.submit(GenerationRequest.of(prompt, 400, SAMPLED.withTemperature(1.5f).withSeed(s)),
                        GenerationListener.NONE).completion().get(30, TimeUnit.SECONDS);
                if (c.stopReason() == StopReason.END_OF_GENERATION) seed = s;
            }
            assertTrue(seed != null, "some seed ends with an end-of-generation token");
            Completion ignored = generator.submit(GenerationRequest.of(prompt, 400, SAMPLED.withTemperature(1.5f).withSeed(seed))
                    .withIgnoreEos(true), GenerationListener.NONE).completion().get(30, TimeUnit.SECONDS);
            assertEquals(StopReason.MAX_TOKENS, ignored.stopReason());
            assertEquals(400, ignored.completionTokens());
            for (int t : ignored.tokens()) assertTrue(!generator.tokenizer().isEndOfGeneration(t), "token " + t);
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
