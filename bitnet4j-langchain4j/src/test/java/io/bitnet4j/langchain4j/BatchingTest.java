package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.bitnet4j.generation.BatchGenerator;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The generator's limits as a LangChain4j caller meets them; the scheduler is held still where timing matters. */
class BatchingTest {

    /** Blocks the scheduler after each step until released (at most 30 s). */
    static final class Gate implements BatchGenerator.StepObserver {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch stepped = new CountDownLatch(1);

        @Override
        public void onStep(int decoded, int prefilled, long nanos) {
            stepped.countDown();
            try {
                open.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aFullQueueIsARateLimitAndTheRunningReplyFinishes() throws Exception {
        Gate gate = new Gate();
        try (BatchGenerator generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(),
                BatchGenerator.Config.defaults().withParallel(1).withMaxQueued(0), gate)) {
            var streaming = BitNetStreamingChatModel.builder().batchGenerator(generator).temperature(0.0).maxTokens(12).build();
            var recorder = new BitNetStreamingChatModelTest.Recorder();
            streaming.chat("In the beginning", recorder);
            assertTrue(gate.stepped.await(30, TimeUnit.SECONDS));

            var blocking = BitNetChatModel.builder().batchGenerator(generator).build();
            RateLimitException busy = assertThrows(RateLimitException.class, () -> blocking.chat("And it came to pass"));
            assertTrue(busy.getMessage().contains("busy"), busy.getMessage());

            gate.open.countDown();
            ChatResponse done = recorder.await();
            assertEquals(12, done.tokenUsage().outputTokenCount());
        }
    }

    @Test
    void aReplyPastItsTimeoutFailsWithTimeoutException() throws Exception {
        Gate gate = new Gate();
        try (BatchGenerator generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(),
                BatchGenerator.Config.defaults(), gate)) {
            var model = BitNetStreamingChatModel.builder().batchGenerator(generator).temperature(0.0).maxTokens(50)
                    .timeout(Duration.ofMillis(100)).build();
            var recorder = new BitNetStreamingChatModelTest.Recorder();
            model.chat("In the beginning", recorder);
            assertTrue(gate.stepped.await(30, TimeUnit.SECONDS));
            Thread.sleep(200); // the scheduler is held past the reply's timeout
            gate.open.countDown();
            Exception e = assertThrows(Exception.class, recorder::await);
            TimeoutException late = org.junit.jupiter.api.Assertions.assertInstanceOf(TimeoutException.class, e.getCause());
            assertTrue(late.getMessage().contains("timed out"), late.getMessage());
            assertEquals(0, recorder.completes.get());
        }
    }

    @Test
    void aChatModelsOwnGeneratorStopsWithIt() {
        BitNetChatModel model = BitNetChatModel.builder().modelPath(BundledModel.FILE).temperature(0.0).maxTokens(8).parallel(2).build();
        assertEquals(8, model.chat(dev.langchain4j.data.message.UserMessage.from("In the beginning")).tokenUsage().outputTokenCount());
        long schedulers = schedulerThreads();
        model.close();
        assertEquals(schedulers - 1, schedulerThreads(), "close() stopped the chat model's own scheduler");
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> model.chat("In the beginning"));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    private static long schedulerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("bitnet4j-batch-scheduler") && t.isAlive()).count();
    }
}
