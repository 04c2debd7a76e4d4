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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(40).build();
        Recorder recorder = new Recorder();
        model.chat("And it came to pass", recorder);
        ChatResponse streamed = recorder.await();

        String blocking = BitNetChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(40).build()
                .chat("And it came to pass");
        assertEquals(blocking, String.join("", recorder.pieces));
        assertEquals(blocking, streamed.aiMessage().text());
        assertTrue(recorder.pieces.size() > 5, "streamed in pieces: " + recorder.pieces);
        assertEquals(40, streamed.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, streamed.finishReason());
        assertNotEquals(Thread.currentThread(), recorder.callbackThread, "generated off the caller's thread");
        assertTrue(recorder.errors.isEmpty());
    }

    @Test
    void cancellingStopsThePiecesAndTheCompleteResponse() throws Exception {
        List<Thread> workers = new CopyOnWriteArrayList<>();
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(100)
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
                if (pieces.size() == 3) context.streamingHandle().cancel();
            }
        };
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
            model.chat("And it came to pass", recorder);
            workers.getFirst().join(30_000);
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(level);
        }
        assertTrue(!workers.getFirst().isAlive(), "generation ended after the cancel");
        // Generation itself stopped at the cancel, a few tokens in, not at the 100-token limit.
        assertEquals(1, log.size(), log::toString);
        int generated = Integer.parseInt(log.getFirst().replaceAll("\\D+", " ").trim());
        assertTrue(generated >= 3 && generated <= 10, log::toString);
        assertEquals(3, recorder.pieces.size());
        assertEquals(0, recorder.completes.get());
        assertTrue(recorder.errors.isEmpty(), () -> recorder.errors.toString());
    }

    @Test
    void aFailingPieceHandlerIsReportedAndStreamingGoesOn() throws Exception {
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).temperature(0.0).maxTokens(10).build();
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
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).build();
        Recorder recorder = new Recorder();
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
