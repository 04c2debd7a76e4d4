package example;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.sampling.SamplingParams;
import java.nio.file.Path;

/** The README's Java example, compiled and run against the installed artifacts: java example.Generate MODEL.gguf */
public class Generate {
    public static void main(String[] args) throws Exception {
        // README begin
        try (Model model = Model.load(Path.of(args[0]));
             Session session = model.newSession()) {
            Generator generator = Generator.of(session, SamplerChain.from(SamplingParams.greedyParams()));
            generator.generate("In the beginning", 40, piece -> { System.out.print(piece); return true; });
        }
        // README end
    }
}
