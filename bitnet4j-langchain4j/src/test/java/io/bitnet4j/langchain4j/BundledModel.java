package io.bitnet4j.langchain4j;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.GgufTokenizer;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The bundled model (models/bitnet-kjv-4m.gguf), loaded once for all tests, and answers computed with the core alone. */
final class BundledModel {
    private BundledModel() {}

    /** The project root: surefire sets bitnet4j.home (and runs this module's tests there). */
    static final Path FILE = Path.of(System.getProperty("bitnet4j.home", ".."), "models", "bitnet-kjv-4m.gguf");

    private static Model shared;

    /** One Model for every test of this JVM, as an application would share it. */
    static synchronized Model shared() {
        if (shared == null) {
            try {
                shared = Model.load(FILE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    static Tokenizer tokenizer() {
        try {
            return GgufTokenizer.load(shared().gguf(), shared().config().vocabSize(), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The reply the core's own Generator gives for a chat, rendered by ChatTemplate.render (not the module's code). */
    static Generator.Result generate(List<ChatTemplate.Message> chat, SamplingParams sampling, int maxTokens, List<String> stops) {
        return generate(ChatTemplate.BITNET.render(chat, true), sampling, maxTokens, stops);
    }

    /** The reply to a prompt written out by hand (BOS added, the template's special tokens parsed). */
    static Generator.Result generate(String renderedPrompt, SamplingParams sampling, int maxTokens, List<String> stops) {
        Tokenizer tok = tokenizer();
        int[] prompt = tok.encodeWithBos(renderedPrompt, true);
        try (Session session = shared().newSession()) {
            return new Generator(session, tok, SamplerChain.from(sampling)).generate(prompt, maxTokens, stops, Generator.Listener.NONE);
        }
    }

    static Generator.Result greedy(List<ChatTemplate.Message> chat, int maxTokens) {
        return generate(chat, SamplingParams.greedyParams(), maxTokens, List.of());
    }
}
