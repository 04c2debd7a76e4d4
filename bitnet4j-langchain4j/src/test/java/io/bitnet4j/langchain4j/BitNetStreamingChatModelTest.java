package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import io.bitnet4j.generation.BatchGenerator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class BitNetStreamingChatModelTest {

    /** Records every callback; {@link #response} completes with the complete response or the error. */
    static class Recorder implements StreamingChatResponseHandler {
        final List<String> pieces = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger completes = new AtomicInteger();
        final CompletableFuture<ChatResponse> response = new CompletableFuture<>();
        volatile Thread callbackThread;

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            callbackThread = Thread.currentThread();
            pieces.add(partial.text());
        }

        @Override
        public void onCompleteResponse(ChatResponse complete) {
            completes.incrementAndGet();
            response.complete(complete);
        }

        @Override
        public void onError(Throwable error) {
            errors.add(error);
            response.completeExceptionally(error);
        }

        ChatResponse await() throws Exception {
            return response.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void streamedPiecesAddUpToTheBlockingAnswer() throws Exception {
        Recorder recorder = new Recorder();
        ChatResponse streamed;
        String blocking;
        try (var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(40).build();
             var blockingModel = BitNetChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(40).build()) {
            model.chat("And it came to pass", recorder);
            streamed = recorder.await();
            blocking = blockingModel.chat("And it came to pass");
        }
        assertEquals(blocking, String.join("", recorder.pieces));
        assertEquals(blocking, streamed.aiMessage().text());
        assertTrue(recorder.pieces.size() > 5, "streamed in pieces: " + recorder.pieces);
        assertEquals(40, streamed.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, streamed.finishReason());
        assertNotEquals(Thread.currentThread(), recorder.callbackThread, "generated off the caller's thread");
        assertTrue(recorder.errors.isEmpty());
    }

    @Test
    void cancellingStopsTheGenerationThePiecesAndTheCompleteResponse() throws Exception {
        // The scheduler waits after each step until the handler has seen the first piece (at most 30 s), so it
        // cannot run ahead of the cancel: then the reply must end as CANCELLED a step or two later, not at its limit.
        CountDownLatch cancelled = new CountDownLatch(1);
        BatchGenerator.StepObserver waitForTheHandler = (decoded, prefilled, nanos) -> {
            try {
                cancelled.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        List<Thread> workers = new CopyOnWriteArrayList<>();
        try (BatchGenerator generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(),
                BatchGenerator.Config.defaults(), waitForTheHandler)) {
            var model = BitNetStreamingChatModel.builder().batchGenerator(generator).temperature(0.0)
                    .executor(task -> {
                        Thread t = new Thread(task, "cancel-test");
                        workers.add(t);
                        t.start();
                    })
                    .build();
            Recorder recorder = new Recorder() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    super.onPartialResponse(partial, context);
                    context.streamingHandle().cancel();
                    assertTrue(context.streamingHandle().isCancelled());
                    cancelled.countDown();
                }
            };
            List<String> log = captureLog(() -> {
                model.chat("And it came to pass", recorder);
                join(workers);
            });
            assertEquals(1, recorder.pieces.size(), recorder.pieces::toString);
            assertEquals(0, recorder.completes.get());
            assertTrue(recorder.errors.isEmpty(), recorder.errors::toString);
            assertEquals(1, log.size(), log::toString);
            assertTrue(log.getFirst().endsWith("(CANCELLED)"), log::toString);
            int generated = Integer.parseInt(log.getFirst().replaceAll("\\D+", " ").trim());
            assertTrue(generated <= 4, log::toString);
            assertEquals(0, generator.stats().active(), "the reply's session is free again");
        }
    }

    private static void join(List<Thread> workers) {
        try {
            workers.getFirst().join(30_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(!workers.getFirst().isAlive(), "the delivery thread ended");
    }

    /** The messages BitNetStreamingChatModel logs (at FINE) while the action runs. */
    private static List<String> captureLog(Runnable action) {
        List<String> log = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(BitNetStreamingChatModel.class.getName());
        Handler capture = new Handler() {
            @Override public void publish(LogRecord r) { log.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Level level = logger.getLevel();
        logger.setLevel(Level.FINE);
        logger.addHandler(capture);
        try {
            action.run();
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(level);
        }
        return log;
    }

    @Test
    void aFailingPieceHandlerIsReportedAndStreamingGoesOn() throws Exception {
        try (var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(10).build()) {
            handlerFailures(model);
        }
    }

    private static void handlerFailures(BitNetStreamingChatModel model) throws Exception {
        RuntimeException failure = new RuntimeException("handler failed");
        Recorder recorder = new Recorder() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                super.onPartialResponse(partial, context);
                throw failure;
            }

            @Override
            public void onError(Throwable error) {
                errors.add(error); // the complete response still comes
            }
        };
        model.chat("In the beginning", recorder);
        ChatResponse response = recorder.await();
        assertEquals(String.join("", recorder.pieces), response.aiMessage().text());
        assertEquals(recorder.pieces.size(), recorder.errors.size());
        recorder.errors.forEach(e -> assertEquals(failure, e));
    }

    @Test
    void unsupportedFeaturesArriveAtOnError() throws Exception {
        Recorder recorder = new Recorder();
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).build(); // fails before it starts a generator
        model.chat(ChatRequest.builder().messages(UserMessage.from("What is the weather?"))
                .toolSpecifications(ToolSpecification.builder().name("weather").build()).build(), recorder);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, recorder::await);
        UnsupportedFeatureException cause = assertInstanceOf(UnsupportedFeatureException.class, e.getCause());
        assertTrue(cause.getMessage().contains("tools"), cause.getMessage());
        assertTrue(recorder.pieces.isEmpty());
        assertEquals(0, recorder.completes.get());
        assertNull(recorder.callbackThread);
    }
}
