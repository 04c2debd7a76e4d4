package io.bitnet4j.generation;

import io.bitnet4j.generation.Generator.StopReason;
import io.bitnet4j.gguf.GgufException;
import io.bitnet4j.model.BatchDecoder;
import io.bitnet4j.model.ContextOverflowException;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Continuous batching: many generations on one model, decoded together. Decoding is bound by memory bandwidth
 * (each step reads every weight once), so N requests stepping together cost little more than one.
 *
 * <p>One scheduler thread owns {@code parallel} sessions (each a KV cache) and a {@link BatchDecoder}. Each
 * iteration it
 * <ol>
 *   <li>gives free sessions to waiting requests (first come, first served) and retires cancelled and timed-out ones;
 *   <li>reads one chunk of at most {@code prefillChunk} prompt tokens of the oldest request still reading its
 *       prompt, so a long prompt does not stall the running streams for its whole length (with no stream running,
 *       the whole prompt);
 *   <li>decodes one token for every request that has one to feed, all in one {@link BatchDecoder#step}.
 * </ol>
 * Requests join and leave between iterations. Each has its own sampler (seeded from its
 * {@link io.bitnet4j.sampling.SamplingParams}), stop strings and token limit; batching changes no output: a
 * request's tokens are the ones it gets alone, since every row of a batched pass is computed as it is alone.
 *
 * <p>Prompt cache: a session keeps the tokens of its last request in its KV cache. A new request whose prompt
 * starts with those tokens (the next turn of a chat re-sends the history) takes that session, and only the rest of
 * its prompt is read; {@link Completion#cachedPromptTokens()} says how many were reused.
 *
 * <p>More than {@code parallel + maxQueued} requests at once are refused with {@link QueueFullException}.
 *
 * <pre>{@code
 * try (Model model = Model.load(path);
 *      BatchGenerator generator = BatchGenerator.start(model, BatchGenerator.Config.defaults())) {
 *     int[] prompt = generator.tokenizer().encodeWithBos("In the beginning", false);
 *     Generation g = generator.submit(GenerationRequest.of(prompt, 64, SamplingParams.greedyParams()),
 *             new GenerationListener() {
 *                 public void onText(String piece) { System.out.print(piece); }
 *             });
 *     Completion done = g.completion().join();
 * }
 * }</pre>
 */
public final class BatchGenerator implements AutoCloseable {

    /**
     * Scheduler settings.
     *
     * @param parallel      sessions generating at once (1..512); each holds a KV cache of {@code contextLength}
     * @param maxQueued     requests that may wait for a session; beyond them {@link #submit} throws
     *                      {@link QueueFullException}
     * @param contextLength positions per session; 0 means the model's default ({@link Model#newSession()})
     * @param prefillChunk  prompt tokens read per iteration while other requests are decoding (1..); smaller keeps
     *                      their streams smoother while a prompt is read, larger reads prompts faster
     * @param promptCache   reuse a session's cached prompt prefix for a request that starts with it
     */
    public record Config(int parallel, int maxQueued, int contextLength, int prefillChunk, boolean promptCache) {
        public Config {
            if (parallel < 1 || parallel > 512) throw new IllegalArgumentException("parallel sessions must be between 1 and 512, got " + parallel);
            if (maxQueued < 0) throw new IllegalArgumentException("the queue length must not be negative, got " + maxQueued);
            if (contextLength < 0) throw new IllegalArgumentException("context length must not be negative, got " + contextLength);
            if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be at least 1 token, got " + prefillChunk);
        }

        /** 4 sessions, 64 waiting requests, the model's context, 32-token prefill chunks, prompt cache on. */
        public static Config defaults() {
            return new Config(4, 64, 0, 32, true);
        }

        public Config withParallel(int n) {
            return new Config(n, maxQueued, contextLength, prefillChunk, promptCache);
        }

        public Config withMaxQueued(int n) {
            return new Config(parallel, n, contextLength, prefillChunk, promptCache);
        }

        public Config withContextLength(int n) {
            return new Config(parallel, maxQueued, n, prefillChunk, promptCache);
        }

        public Config withPrefillChunk(int n) {
            return new Config(parallel, maxQueued, contextLength, n, promptCache);
        }

        public Config withPromptCache(boolean on) {
            return new Config(parallel, maxQueued, contextLength, prefillChunk, on);
        }
    }

    /** Watches the scheduler's iterations (for metrics). Runs on the scheduler thread: keep it quick. */
    @FunctionalInterface
    public interface StepObserver {
        /**
         * One iteration did work: {@code decodeSessions} requests decoded a token each in one batch step (0 when
         * none did) and {@code prefillTokens} prompt tokens were read, in {@code nanos}.
         */
        void onStep(int decodeSessions, int prefillTokens, long nanos);

        StepObserver NONE = (decodeSessions, prefillTokens, nanos) -> {};
    }

    /**
     * A snapshot of the generator's load and totals.
     *
     * @param parallel           sessions
     * @param active             requests holding a session
     * @param queued             requests waiting for one
     * @param submitted          requests accepted since start
     * @param promptTokens       prompt tokens of admitted requests
     * @param cachedPromptTokens of those, tokens reused from the prompt cache
     * @param generatedTokens    tokens generated
     */
    public record Stats(int parallel, int active, int queued, long submitted, long promptTokens, long cachedPromptTokens,
            long generatedTokens) {}

    private static final System.Logger LOG = System.getLogger("io.bitnet4j");
    /**
     * A free session is chosen for its cached prefix when that covers at least this share of the new prompt (the
     * role of llama-server's --slot-prompt-similarity); otherwise the least recently used session is taken, so that
     * a short shared prefix (BOS, a system prompt) does not evict another conversation's cache.
     */
    private static final double CACHE_MATCH = 0.5;

    private final Model model;
    private final Tokenizer tokenizer;
    private final Config config;
    private final StepObserver observer;
    private final int contextLength;
    private final int[] endOfGeneration; // ids masked for requests that ignore them
    private final Slot[] slots;
    private final BatchDecoder decoder;
    private final Thread scheduler;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition(); // new work, a cancellation, shutdown
    private final Condition idle = lock.newCondition();    // a request left the generator
    private final ArrayDeque<Job> waiting = new ArrayDeque<>(); // guarded by lock
    private int inSystem;                                       // guarded by lock: submitted and not finished
    private boolean accepting = true;                           // guarded by lock
    private boolean stopping;                                   // guarded by lock

    // scheduler thread only
    private final List<Session> stepSessions = new ArrayList<>();
    private final List<Job> stepJobs = new ArrayList<>();
    private long clock; // orders admissions and slot use

    private volatile int active;
    private final AtomicLong submitted = new AtomicLong();
    private volatile long promptTokens, cachedPromptTokens, generatedTokens; // written by the scheduler only

    private BatchGenerator(Model model, Tokenizer tokenizer, Config config, StepObserver observer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = config;
        this.observer = observer;
        Slot[] made = new Slot[config.parallel()];
        BatchDecoder batch = null;
        try {
            for (int i = 0; i < made.length; i++)
                made[i] = new Slot(config.contextLength() == 0 ? model.newSession() : model.newSession(config.contextLength()));
            batch = model.newBatchDecoder(config.parallel());
        } catch (RuntimeException | Error e) {
            for (Slot s : made) if (s != null) s.session.close();
            throw e;
        }
        this.slots = made;
        this.decoder = batch;
        this.contextLength = made[0].session.contextLength();
        this.endOfGeneration = java.util.stream.IntStream.range(0, tokenizer.vocabSize()).filter(tokenizer::isEndOfGeneration).toArray();
        // A daemon: a program that embeds a generator (a chat model it never closes, say) still exits when its
        // own threads end. shutdown() and close() join the scheduler, so a graceful stop loses nothing.
        this.scheduler = Thread.ofPlatform().name("bitnet4j-batch-scheduler").daemon(true).unstarted(this::schedule);
    }

    /** Starts a generator with the tokenizer stored in the model file. */
    public static BatchGenerator start(Model model, Config config) throws GgufException {
        return start(model, GgufTokenizer.load(model.gguf(), model.config().vocabSize(), null), config, StepObserver.NONE);
    }

    /**
     * Opens {@code config.parallel()} sessions (their KV caches are allocated now) and starts the scheduler thread.
     * The model must stay open until the generator is closed.
     */
    public static BatchGenerator start(Model model, Tokenizer tokenizer, Config config, StepObserver observer) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(observer, "observer");
        BatchGenerator generator = new BatchGenerator(model, tokenizer, config, observer);
        generator.scheduler.start();
        return generator;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Model model() {
        return model;
    }

    public Config config() {
        return config;
    }

    /** Positions of each session: a prompt may hold at most this many tokens. */
    public int contextLength() {
        return contextLength;
    }

    public Stats stats() {
        int queued;
        lock.lock();
        try {
            queued = waiting.size();
        } finally {
            lock.unlock();
        }
        return new Stats(config.parallel(), active, queued, submitted.get(), promptTokens, cachedPromptTokens, generatedTokens);
    }

    /**
     * Queues a request; its listener hears from the scheduler thread. Returns at once.
     *
     * @throws QueueFullException        when {@code parallel + maxQueued} requests are already in the generator
     * @throws ContextOverflowException  when the prompt is longer than a session's context
     * @throws IllegalArgumentException  for a token id outside the vocabulary or invalid sampling settings
     * @throws IllegalStateException     after {@link #shutdown} or {@link #close}
     */
    public Generation submit(GenerationRequest request, GenerationListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        int[] prompt = request.promptTokens();
        if (prompt.length > contextLength) throw new ContextOverflowException(0, prompt.length, contextLength);
        for (int i = 0; i < prompt.length; i++)
            if (prompt[i] < 0 || prompt[i] >= tokenizer.vocabSize())
                throw new IllegalArgumentException("prompt token " + i + " (id " + prompt[i] + ") is outside the vocabulary [0, " + tokenizer.vocabSize() + ")");
        SamplerChain sampler = SamplerChain.from(request.sampling(), tokenizer.vocabSize());
        lock.lock();
        try {
            if (!accepting) throw new IllegalStateException("the generator is shut down");
            if (inSystem >= config.parallel() + config.maxQueued()) throw new QueueFullException(config.parallel(), waiting.size());
            Generation handle = new Generation(submitted.incrementAndGet(), this::wake);
            waiting.add(new Job(handle, request, listener, sampler, new OutputText(tokenizer, request.stopStrings())));
            inSystem++;
            changed.signal();
            return handle;
        } finally {
            lock.unlock();
        }
    }

    private void wake() {
        lock.lock();
        try {
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting requests, lets the running and waiting ones finish for up to {@code grace}, fails those still
     * there with a {@link CancellationException}, then stops the scheduler and frees the sessions.
     *
     * @return true if every request finished within the grace period
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        if (Thread.currentThread() == scheduler)
            throw new IllegalStateException("a listener cannot shut its generator down: it runs on the scheduler thread");
        boolean drained;
        lock.lock();
        try {
            accepting = false;
            long left = grace.toNanos();
            while (inSystem > 0 && left > 0) left = idle.awaitNanos(left);
            drained = inSystem == 0;
            stopping = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
        scheduler.join();
        return drained;
    }

    /** Shuts down at once: requests still running or waiting fail with a {@link CancellationException}. */
    @Override
    public void close() {
        boolean interrupted = false;
        while (scheduler.isAlive()) {
            try {
                shutdown(Duration.ZERO);
            } catch (InterruptedException e) {
                interrupted = true; // finish closing first: the sessions must not outlive the generator
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    // ------------------------------------------------------------------------------------------ scheduler thread

    private void schedule() {
        try {
            while (nextIteration()) {
                long start = System.nanoTime();
                int prefilled = prefill();
                int decoded = decode();
                if (prefilled + decoded > 0) observer.onStep(decoded, prefilled, System.nanoTime() - start);
            }
            abandonAll(new CancellationException("the generator shut down before this request finished"));
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "bitnet4j: the batch scheduler stopped", t);
            lock.lock();
            try {
                accepting = false;
            } finally {
                lock.unlock();
            }
            abandonAll(new CancellationException("the batch scheduler stopped: " + t));
        } finally {
            for (Slot s : slots) s.session.close();
            decoder.close();
        }
    }

    /**
     * Waits until there is work, then retires cancelled and timed-out requests and admits waiting ones into free
     * sessions. Returns false when the generator is stopping.
     */
    private boolean nextIteration() throws InterruptedException {
        List<Job> admitted = new ArrayList<>();
        List<Job> leftQueue = new ArrayList<>();
        lock.lock();
        try {
            while (!stopping && active == 0 && waiting.isEmpty()) changed.await();
            if (stopping) return false;
            long now = System.nanoTime();
            waiting.removeIf(job -> (job.handle.isCancelled() || job.expired(now)) && leftQueue.add(job));
            int free = config.parallel() - active;
            while (free-- > 0 && !waiting.isEmpty()) admitted.add(waiting.poll());
        } finally {
            lock.unlock();
        }
        for (Job job : leftQueue) retireEarly(job);
        retireActive();
        for (Job job : admitted) admit(job);
        return true;
    }

    /** Ends a request that left the queue before getting a session: cancelled or timed out. */
    private void retireEarly(Job job) {
        if (job.handle.isCancelled()) complete(job, StopReason.CANCELLED, OutputText.Verdict.CONTINUE);
        else fail(job, new GenerationTimeoutException(job.request.timeout(), 0));
    }

    private void retireActive() {
        long now = System.nanoTime();
        for (Slot slot : slots) {
            Job job = slot.job;
            if (job == null) continue;
            if (job.handle.isCancelled()) complete(job, StopReason.CANCELLED, OutputText.Verdict.CONTINUE);
            else if (job.expired(now)) fail(job, new GenerationTimeoutException(job.request.timeout(), job.generated.size()));
        }
    }

    private void abandonAll(RuntimeException reason) {
        for (Slot slot : slots) if (slot.job != null) fail(slot.job, reason);
        List<Job> left;
        lock.lock();
        try {
            left = new ArrayList<>(waiting);
            waiting.clear();
        } finally {
            lock.unlock();
        }
        for (Job job : left) fail(job, reason);
    }

    /** Gives the request a free session, reusing the longest cached prefix of its prompt when that pays. */
    private void admit(Job job) {
        int[] prompt = job.request.promptTokens();
        Slot slot = chooseSlot(prompt);
        int reuse = config.promptCache() ? Math.min(slot.cached.commonPrefix(prompt), prompt.length - 1) : 0;
        slot.session.truncate(reuse);
        slot.cached.truncate(reuse);
        slot.job = job;
        job.slot = slot;
        job.prompted = reuse;
        job.cachedTokens = reuse;
        job.admitted = System.nanoTime();
        job.order = ++clock;
        active++;
        for (int t : prompt) job.sampler.accept(t); // penalties see the prompt, as with Generator
        promptTokens += prompt.length;
        cachedPromptTokens += reuse;
    }

    private Slot chooseSlot(int[] prompt) {
        Slot best = null, oldest = null;
        int bestShared = 0;
        for (Slot slot : slots) {
            if (slot.job != null) continue;
            if (oldest == null || slot.lastUsed < oldest.lastUsed) oldest = slot;
            int shared = config.promptCache() ? slot.cached.commonPrefix(prompt) : 0;
            if (shared > bestShared) {
                best = slot;
                bestShared = shared;
            }
        }
        return best != null && bestShared >= CACHE_MATCH * prompt.length ? best : oldest;
    }

    /**
     * Reads the next chunk of the oldest prompt still being read; returns the tokens read. With no request
     * decoding, nobody waits for a token: the whole rest of the prompt is read at once.
     */
    private int prefill() {
        Job job = null;
        boolean decoding = false;
        for (Slot slot : slots) {
            if (slot.job == null) continue;
            decoding |= slot.job.next >= 0;
            if (slot.job.readingPrompt() && (job == null || slot.job.order < job.order)) job = slot.job;
        }
        if (job == null) return 0;
        int[] prompt = job.request.promptTokens();
        int left = prompt.length - job.prompted;
        int n = decoding ? Math.min(config.prefillChunk(), left) : left;
        int[] chunk = Arrays.copyOfRange(prompt, job.prompted, job.prompted + n);
        float[] logits;
        try {
            logits = job.slot.session.prefill(chunk);
        } catch (RuntimeException e) {
            forgetCache(job.slot);
            fail(job, e);
            return n;
        }
        job.slot.cached.addAll(chunk);
        job.prompted += n;
        if (!job.readingPrompt()) {
            if (job.request.maxTokens() == 0) complete(job, StopReason.MAX_TOKENS, OutputText.Verdict.CONTINUE);
            else sampleAndAccept(job, logits);
        }
        return n;
    }

    /** One batch step for every request with a token to feed; returns how many took part. */
    private int decode() {
        stepSessions.clear();
        stepJobs.clear();
        for (Slot slot : slots)
            if (slot.job != null && slot.job.next >= 0) {
                stepJobs.add(slot.job);
                stepSessions.add(slot.session);
            }
        int n = stepJobs.size();
        if (n == 0) return 0;
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = stepJobs.get(i).next;
        float[][] logits;
        try {
            logits = decoder.step(stepSessions, tokens);
        } catch (RuntimeException e) {
            for (Job job : stepJobs) {
                forgetCache(job.slot);
                fail(job, e);
            }
            return n;
        }
        for (int i = 0; i < n; i++) {
            Job job = stepJobs.get(i);
            job.slot.cached.add(tokens[i]);
            job.next = -1;
            sampleAndAccept(job, logits[i]);
        }
        return n;
    }

    private void sampleAndAccept(Job job, float[] logits) {
        if (job.request.ignoreEos()) for (int id : endOfGeneration) logits[id] = Float.NEGATIVE_INFINITY;
        int token;
        try {
            token = job.sampler.sample(logits, tokenizer.vocabSize());
        } catch (RuntimeException e) { // e.g. no usable logit
            fail(job, e);
            return;
        }
        accept(job, token);
    }

    /** A token was generated: tell the listener, then stop or feed it in the next step. */
    private void accept(Job job, int token) {
        job.sampler.accept(token);
        job.generated.add(token);
        generatedTokens++;
        if (job.generated.size() == 1) job.firstToken = System.nanoTime();
        tell(job, l -> l.onToken(token));
        OutputText.Verdict verdict = job.text.accept(token);
        if (verdict != OutputText.Verdict.CONTINUE) {
            complete(job, Generator.stopReason(verdict), verdict);
            return;
        }
        String piece = job.text.release();
        if (!piece.isEmpty()) tell(job, l -> l.onText(piece));
        if (job.handle.isCancelled()) complete(job, StopReason.CANCELLED, verdict);
        else if (job.generated.size() >= job.request.maxTokens()) complete(job, StopReason.MAX_TOKENS, verdict);
        else if (job.slot.session.position() >= contextLength) complete(job, StopReason.CONTEXT_FULL, verdict);
        else job.next = token;
    }

    private void complete(Job job, StopReason reason, OutputText.Verdict last) {
        if (reason != StopReason.CANCELLED) {
            String rest = job.text.finish(last);
            if (!rest.isEmpty()) tell(job, l -> l.onText(rest));
        }
        long now = System.nanoTime();
        long admitted = job.admitted != 0 ? job.admitted : now;
        Completion c = new Completion(job.text.text(), job.generated.toArray(), job.request.promptTokens().length,
                job.cachedTokens, reason, admitted - job.submitted, job.firstToken != 0 ? job.firstToken - job.submitted : 0,
                now - job.submitted);
        leave(job);
        tell(job, l -> l.onComplete(c));
        job.handle.future().complete(c);
    }

    private void fail(Job job, RuntimeException error) {
        leave(job);
        tell(job, l -> l.onError(error));
        job.handle.future().completeExceptionally(error);
    }

    /** Frees the request's session (its tokens stay cached for the next request) and counts it out. */
    private void leave(Job job) {
        if (job.slot != null) {
            job.slot.job = null;
            job.slot.lastUsed = ++clock;
            job.slot = null;
            active--;
        }
        lock.lock();
        try {
            inSystem--;
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** After a failed pass the session's cache cannot be trusted. */
    private static void forgetCache(Slot slot) {
        slot.cached.truncate(0);
        try {
            slot.session.reset();
        } catch (RuntimeException ignored) { // a closed session: the generator is going down anyway
        }
    }

    /** Calls the listener; one that throws is logged and its request cancelled, the others go on. */
    private static void tell(Job job, Consumer<GenerationListener> call) {
        try {
            call.accept(job.listener);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "bitnet4j: a generation listener failed; cancelling its request", e);
            job.handle.cancel();
        }
    }

    /** One session and the tokens in its KV cache; owned by the scheduler thread. */
    private static final class Slot {
        final Session session;
        final TokenList cached = new TokenList(); // always session.position() long
        Job job;
        long lastUsed;

        Slot(Session session) {
            this.session = session;
        }
    }

    /** A request and its progress; fields after the final ones are the scheduler thread's. */
    private static final class Job {
        final Generation handle;
        final GenerationRequest request;
        final GenerationListener listener;
        final SamplerChain sampler;
        final OutputText text;
        final long submitted = System.nanoTime();
        final long timeoutNanos; // 0: none
        final TokenList generated = new TokenList();
        Slot slot;
        int prompted;      // prompt tokens in the session's cache
        int cachedTokens;  // of those, reused from the prompt cache
        int next = -1;     // the last sampled token, fed in the next batch step
        long order, admitted, firstToken;

        Job(Generation handle, GenerationRequest request, GenerationListener listener, SamplerChain sampler, OutputText text) {
            this.handle = handle;
            this.request = request;
            this.listener = listener;
            this.sampler = sampler;
            this.text = text;
            Duration t = request.timeout();
            this.timeoutNanos = t == null ? 0 : Math.min(t.toNanos(), TimeUnit.DAYS.toNanos(365));
        }

        boolean expired(long now) {
            return timeoutNanos != 0 && now - submitted > timeoutNanos;
        }

        boolean readingPrompt() {
            return prompted < request.promptTokens().length;
        }
    }
}
