package io.bitnet4j.cli;

import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.SamplerChain;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat interactively: one line per message on stdin, /exit or end of input to stop, /reset to start over.",
                "The KV cache is kept across turns: only each new message is evaluated."})
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;

    @Option(names = {"-sys", "--system"}, paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "NAME", description = "chat format: bitnet or llama3 (default: detected from the file, else bitnet)")
    String template;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "512", description = "tokens per reply at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "also stop a reply at this text (repeatable)")
    List<String> stops = new java.util.ArrayList<>();

    @Override
    public Integer call() throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Model m = model.load(System.err); Session session = m.newSession()) {
            Report.system(System.err, m);
            Tokenizer tok = model.tokenizer(m);
            ChatTemplate format = template != null ? ChatTemplate.byName(template)
                    : java.util.Objects.requireNonNullElse(ChatTemplate.detect(tok.chatTemplate()), ChatTemplate.BITNET);
            SamplerChain sampler = sampling.sampler();
            System.err.println("chat format: " + format.name() + "; type a message, /exit to quit, /reset to forget");
            int[] pending = {}; // tokens of the last reply not yet in the KV cache: its last token, and an end of turn
            boolean fresh = true;
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    session.reset();
                    sampler.reset();
                    fresh = true;
                    pending = new int[0];
                    continue;
                }
                if (line.isBlank()) continue;
                StringBuilder turn = new StringBuilder();
                List<Integer> literal = new java.util.ArrayList<>();
                if (fresh && system != null) appendLiteral(turn, literal, format.renderMessage(Message.system(MARK)), system);
                appendLiteral(turn, literal, format.renderTurn(Message.user(MARK)), line);
                // Only the template's own special tokens are parsed: "<|eot_id|>" typed by the user is plain text.
                int[] ids = tok.encode(turn.toString(), literal.stream().mapToInt(Integer::intValue).toArray());
                if (fresh && tok.addBos() && tok.bos() >= 0) ids = GenerateCommand.prepend(tok.bos(), ids);
                ids = concat(pending, ids);
                if (session.position() + ids.length + 1 >= session.contextLength()) {
                    System.err.println("bitnet4j: context full (" + session.position() + " of " + session.contextLength() + " positions); starting over");
                    session.reset();
                    sampler.reset();
                    fresh = true;
                    pending = new int[0];
                    continue; // the user repeats the message in a fresh context
                }
                int budget = Math.min(maxTokens, session.contextLength() - session.position() - ids.length);
                var result = new Generator(session, tok, sampler).generate(ids, budget, stops, piece -> {
                    out.print(piece);
                    out.flush();
                    return true;
                });
                out.println();
                pending = unfedTail(result.tokens(), tok);
                fresh = false;
                Report.timings(System.err, result);
            }
        }
        return 0;
    }

    /**
     * What the next turn must feed first: the reply's last token (never evaluated by the generator), and an
     * end-of-turn token when the reply did not end with one (it was cut by the token limit or a stop string).
     */
    static int[] unfedTail(int[] reply, Tokenizer tok) {
        if (reply.length == 0) return new int[0];
        int last = reply[reply.length - 1];
        if (tok.isEndOfGeneration(last)) return new int[] {last};
        return new int[] {last, tok.eot() >= 0 ? tok.eot() : tok.eos()};
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A private-use character standing in for the content while rendering, to find where the content goes. */
    static final String MARK = "\uE000";

    /** Appends a template rendered around MARK with the content put in its place, recording the content's range. */
    static void appendLiteral(StringBuilder text, List<Integer> ranges, String rendered, String content) {
        int at = rendered.indexOf(MARK);
        if (at < 0 || rendered.indexOf(MARK, at + 1) >= 0) throw new IllegalStateException("chat template must hold the content once");
        text.append(rendered, 0, at);
        ranges.add(text.length());
        text.append(content);
        ranges.add(text.length());
        text.append(rendered, at + MARK.length(), rendered.length());
    }
}
