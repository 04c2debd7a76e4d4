package io.bitnet4j.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.bitnet4j.generation.Generator;
import io.bitnet4j.model.Model;
import io.bitnet4j.model.Session;
import io.bitnet4j.sampling.Sampler;
import io.bitnet4j.tokenizer.ChatTemplate;
import io.bitnet4j.tokenizer.ChatTemplate.Message;
import io.bitnet4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat interactively. On a terminal: line editing and history (arrow keys), Ctrl+C stops the reply",
                "being written and keeps the conversation, Ctrl+D leaves. End a line with \\ to go on to the next line.",
                "Commands: /clear (forget the conversation), /save FILE and /load FILE (the conversation as JSON messages),",
                "/exit. The prompt and the statistics go to stderr, the replies to stdout.",
                "The KV cache is kept across turns: only each new message is evaluated."})
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;

    @Option(names = {"-sys", "--system"}, paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "NAME", description = "chat format: bitnet or llama3 (default: detected from the file, else bitnet)")
    String template;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "512",
            description = "tokens per reply at most; -1 = until the end of the turn or of the context (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--stop", paramLabel = "TEXT", description = "also stop a reply at this text (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = {"-sp", "--special"}, description = "print special (control) tokens of the replies as their text")
    boolean printSpecial;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A saved conversation: the messages in order, the system prompt first when there is one. */
    record Saved(String template, List<Message> messages) {}

    /** The conversation so far and what of it the KV cache still lacks. */
    private final List<Message> messages = new ArrayList<>();
    private int[] pending = {}; // tokens to feed before the next message: the last reply's tail, or a loaded conversation
    private boolean fresh = true; // nothing fed yet: BOS and the system prompt come first

    private Tokenizer tok;
    private ChatTemplate format;
    private Session session;
    private Sampler sampler;
    private PrintStream out, err;

    @Override
    public Integer call() throws IOException {
        int limit = GenerateCommand.tokenLimit(maxTokens);
        out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        err = System.err;
        try (Model m = model.load(err); Session s = m.newSession(); ChatInput input = ChatInput.open(err)) {
            session = s;
            Report.system(err, m);
            sampling.report(err);
            tok = model.tokenizer(m);
            format = template != null ? template(template) : Objects.requireNonNullElse(ChatTemplate.detect(tok.chatTemplate()), ChatTemplate.BITNET);
            sampler = sampling.sampler(tok);
            if (system != null) messages.add(Message.system(system));
            err.println("chat format: " + format.name() + "; /clear forgets, /save FILE and /load FILE keep a conversation, "
                    + (input.interactive() ? "Ctrl+C stops a reply, Ctrl+D or /exit leaves" : "/exit leaves"));
            String line;
            while ((line = input.readMessage()) != null) {
                String command = line.strip();
                if (command.equals("/exit")) break;
                if (command.startsWith("/") && runCommand(command)) continue;
                if (line.isBlank()) continue;
                input.interrupted.set(false);
                reply(line, limit, input);
            }
        }
        return 0;
    }

    /** Runs /clear, /reset, /save or /load; false when the line is not one of them (it is then a message). */
    private boolean runCommand(String command) throws IOException {
        String[] parts = command.split("\\s+", 2);
        switch (parts[0]) {
            case "/clear", "/reset" -> {
                clear();
                messages.removeIf(m -> !m.role().equals("system"));
                err.println("(conversation cleared)");
            }
            case "/save" -> {
                Path file = argument(parts, "/save");
                if (file != null) {
                    JSON.writeValue(file.toFile(), new Saved(format.name(), messages));
                    err.println("(saved " + messages.size() + " messages to " + file + ")");
                }
            }
            case "/load" -> {
                Path file = argument(parts, "/load");
                if (file != null) load(file);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private Path argument(String[] parts, String command) {
        if (parts.length < 2 || parts[1].isBlank()) {
            err.println("(" + command + " needs a file name)");
            return null;
        }
        return Path.of(parts[1].strip());
    }

    /** Replaces the conversation with a saved one; its tokens are fed with the next message. */
    private void load(Path file) throws IOException {
        Saved saved;
        try {
            saved = JSON.readValue(file.toFile(), Saved.class);
            if (saved.messages() == null) throw new IllegalArgumentException("no \"messages\"");
            for (Message msg : saved.messages()) format.renderMessage(msg); // unknown roles are refused here
        } catch (JacksonException | IllegalArgumentException e) {
            err.println("(cannot load " + file + ": " + (e instanceof JacksonException j ? j.getOriginalMessage() : e.getMessage()) + ")");
            return;
        } catch (IOException e) {
            err.println("(cannot read " + file + ": " + e.getMessage() + ")");
            return;
        }
        int[] ids = encode(saved.messages(), true);
        if (ids.length + 1 >= session.contextLength()) {
            err.println("(" + file + " is " + ids.length + " tokens: more than the context of " + session.contextLength() + " holds)");
            return;
        }
        clear();
        messages.clear();
        messages.addAll(saved.messages());
        pending = ids;
        fresh = false;
        err.println("(loaded " + messages.size() + " messages, " + ids.length + " tokens, from " + file + ")");
    }

    private void clear() {
        session.reset();
        sampler.reset();
        fresh = true;
        pending = new int[0];
    }

    /** One turn: the user's message in, the model's reply streamed out (until its end, a limit or Ctrl+C). */
    private void reply(String text, int limit, ChatInput input) {
        List<Message> turn = new ArrayList<>();
        if (fresh) messages.stream().filter(msg -> msg.role().equals("system")).forEach(turn::add);
        turn.add(Message.user(text));
        int[] ids = concat(pending, encode(turn, fresh));
        if (session.position() + ids.length + 1 >= session.contextLength()) {
            err.println("bitnet4j: context full (" + session.position() + " of " + session.contextLength() + " positions); starting over");
            clear();
            messages.removeIf(m -> !m.role().equals("system"));
            return; // the user repeats the message in a fresh context
        }
        int budget = Math.min(limit, session.contextLength() - session.position() - ids.length);
        Generator generator = new Generator(session, tok, sampler).withSpecialTokens(printSpecial);
        var result = generator.generate(ids, budget, stops, piece -> {
            out.print(piece);
            out.flush();
            return !input.interrupted.get();
        });
        out.println();
        if (result.stopReason() == Generator.StopReason.CANCELLED) err.println("(stopped)");
        messages.add(Message.user(text));
        messages.add(Message.assistant(result.text()));
        pending = unfedTail(result.tokens(), tok);
        fresh = false;
        Report.timings(err, result);
    }

    /**
     * The tokens of whole messages (the last one, when a user's, followed by the assistant prompt), with BOS
     * first for a new conversation. Only the template's own special tokens are parsed: "<|eot_id|>" typed by the
     * user, or written by the model, is plain text.
     */
    private int[] encode(List<Message> msgs, boolean withBos) {
        StringBuilder text = new StringBuilder();
        List<Integer> literal = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            Message msg = msgs.get(i);
            boolean last = i == msgs.size() - 1;
            String rendered = last ? format.renderTurn(new Message(msg.role(), MARK)) : format.renderMessage(new Message(msg.role(), MARK));
            appendLiteral(text, literal, rendered, msg.content());
        }
        int[] ids = tok.encode(text.toString(), literal.stream().mapToInt(Integer::intValue).toArray());
        return withBos && tok.addBos() && tok.bos() >= 0 ? GenerateCommand.prepend(tok.bos(), ids) : ids;
    }

    private static ChatTemplate template(String name) {
        try {
            return ChatTemplate.byName(name);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * What the next turn must feed first: the reply's last token (never evaluated by the generator), and an
     * end-of-turn token when the reply did not end with one (it was cut by the token limit, a stop string or Ctrl+C).
     */
    static int[] unfedTail(int[] reply, Tokenizer tok) {
        if (reply.length == 0) return new int[0];
        int last = reply[reply.length - 1];
        if (tok.isEndOfGeneration(last)) return new int[] {last};
        return new int[] {last, tok.eot() >= 0 ? tok.eot() : tok.eos()};
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
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
