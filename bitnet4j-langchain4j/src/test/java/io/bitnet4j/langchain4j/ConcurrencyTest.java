package io.bitnet4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.chat.response.ChatResponse;
import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {

    private static final List<String> PROMPTS = List.of("In the beginning", "And it came to pass", "The LORD is my shepherd",
            "Blessed are the meek", "And Moses said unto the people", "Let there be light", "Honour thy father",
            "The word of the LORD came");

    @Test
    void eightThreadsOnOneModelGetTheAnswersEachGetsAloneDecodedTogether() throws Exception {
        AtomicInteger widestStep = new AtomicInteger();
        try (BatchGenerator generator = BatchGenerator.start(BundledModel.shared(), BundledModel.tokenizer(),
                BatchGenerator.Config.defaults().withParallel(PROMPTS.size()),
                (decoded, prefilled, nanos) -> widestStep.accumulateAndGet(decoded, Math::max))) {
            // Alone: one call at a time. Greedy and seeded sampled replies, so a mix-up of sessions or samplers shows.
            List<BitNetChatModel> models = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++)
                models.add(settings(BitNetChatModel.builder().batchGenerator(generator), i).build());
            List<String> alone = new ArrayList<>();
            for (int i = 0; i < PROMPTS.size(); i++) alone.add(models.get(i).chat(PROMPTS.get(i)));
            assertEquals(1, widestStep.getAndSet(0), "one at a time");
            for (int i = 0; i < PROMPTS.size(); i += 2) // the greedy ones are the core Generator's replies
                assertEquals(BundledModel.greedy(List.of(ChatTemplate.Message.user(PROMPTS.get(i))), 30 + 3 * i).text(), alone.get(i));

            // Together: all eight start at once, two of them through streaming chat models on the same generator.
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.size());
            try {
                List<Future<String>> together = new ArrayList<>();
                for (int i = 0; i < PROMPTS.size(); i++) {
                    int n = i;
                    together.add(pool.submit(() -> {
                        start.await();
                        return n % 4 == 3 ? streamed(generator, n) : models.get(n).chat(PROMPTS.get(n));
                    }));
                }
                start.countDown();
                for (int i = 0; i < PROMPTS.size(); i++) {
                    String text = together.get(i).get(60, TimeUnit.SECONDS);
                    assertTrue(!text.isEmpty());
                    assertEquals(alone.get(i), text, "prompt " + i + ": " + PROMPTS.get(i));
                }
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
            }
            assertTrue(widestStep.get() > 1, "replies decoded together (widest step " + widestStep.get() + ")");
        }
    }

    /** Request n's settings: its own length, greedy or sampled with its own seed. */
    private static <B extends BitNetModelBuilder<B>> B settings(B builder, int n) {
        return builder.maxTokens(30 + 3 * n).temperature(n % 2 == 0 ? 0.0 : 0.8).seed(100L + n);
    }

    /** The same request as the blocking model n, through a streaming model. */
    private static String streamed(BatchGenerator generator, int n) throws Exception {
        var model = settings(BitNetStreamingChatModel.builder().batchGenerator(generator), n).build();
        var recorder = new BitNetStreamingChatModelTest.Recorder();
        model.chat(PROMPTS.get(n), recorder);
        ChatResponse response = recorder.await();
        assertEquals(response.aiMessage().text(), String.join("", recorder.pieces));
        return response.aiMessage().text();
    }
}
