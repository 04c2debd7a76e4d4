package io.bitnet4j.cli;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import io.bitnet4j.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * Run by JacksonOptionalTest in a JVM whose class path holds the core and JavaCPP only: "generate MODEL" writes
 * a greedy continuation, "tokenizer-json FILE" says what reading a tokenizer.json gives.
 */
public final class CoreWithoutJson {
    private CoreWithoutJson() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("generate")) {
            try (Model model = Model.load(Path.of(args[1]), Model.Options.builder().threads(1).build()); Session session = model.newSession()) {
                Generator.Result r = Generator.of(session, SamplerChain.from(SamplingParams.greedyParams())).generate("the cat", 8, p -> true);
                System.out.println("generated " + r.tokens().length + " tokens: " + r.text());
            }
            return;
        }
        try {
            Tokenizer.fromHfTokenizerJson(Path.of(args[1]));
            System.out.println("read it");
        } catch (RuntimeException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }
}
