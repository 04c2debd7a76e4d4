package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    private static final List<String> PROMPTS = List.of("In the beginning", "And it came to pass", "The LORD is my shepherd",
            "Blessed are the meek", "And Moses said unto the people", "Let there be light", "Honour thy father",
            "The word of the LORD came");

    @Test
    void eightThreadsOnOneModelGetTheAnswersEachGetsAlone() throws Exception {
        // Alone: one call at a time. Greedy and seeded sampled replies, so a mix-up of sessions or samplers shows.
        List<BitNetChatModel> models = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++)
            models.add(BitNetChatModel.builder().model(BundledModel.shared()).maxTokens(30 + 3 * i)
                    .temperature(i % 2 == 0 ? 0.0 : 0.8).seed(100L + i).build());
        List<ChatResponse> alone = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) alone.add(models.get(i).chat(dev.langchain4j.data.message.UserMessage.from(PROMPTS.get(i))));

        // Together: all eight start at once, half of them streaming through a streaming model on the same Model.
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
        try {
            List<Future<String>> together = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) {
                int n = i;
                together.add(pool.submit(() -> {
                    start.await();
                    if (n % 4 == 3) return streamed(n);
                    return models.get(n).chat(PROMPTS.get(n));
                }));
            }
            start.countDown();
            for (int i = 0; i < PROMPTS.size(); i++) {
                String text = together.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(alone.get(i).aiMessage().text(), text, "prompt " + i + ": " + PROMPTS.get(i));
                assertTrue(!text.isEmpty());
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** The same request as models.get(n), through a streaming model. */
    private static String streamed(int n) throws Exception {
        var model = BitNetStreamingChatModel.builder().model(BundledModel.shared()).maxTokens(30 + 3 * n)
                .temperature(n % 2 == 0 ? 0.0 : 0.8).seed(100L + n).build();
        var recorder = new BitNetStreamingChatModelTest.Recorder();
        model.chat(PROMPTS.get(n), recorder);
        ChatResponse response = recorder.await();
        assertEquals(response.aiMessage().text(), String.join("", recorder.pieces));
        return response.aiMessage().text();
    }
}
