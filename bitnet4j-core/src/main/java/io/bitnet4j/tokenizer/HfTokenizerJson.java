package io.bitnet4j.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} with a byte-level BPE model into {@link TokenizerData}.
 *
 * <p>Uses {@code model.vocab} (token → id), {@code model.merges} (either "a b" strings or ["a","b"] pairs) and
 * {@code added_tokens} (special ones become CONTROL, the others USER_DEFINED, mirroring what the GGUF converter
 * writes). BOS/EOS are found by their LLaMA-3 names, falling back to the classic "&lt;s&gt;"/"&lt;/s&gt;".
 *
 * <p>Parsing uses Jackson, an optional dependency of this library (text generation from a GGUF file needs no JSON
 * library): without jackson-databind on the class path this reader fails with a message naming it.
 */
final class HfTokenizerJson {

    static final String JACKSON_ARTIFACT = "com.fasterxml.jackson.core:jackson-databind";

    private HfTokenizerJson() {}

    static TokenizerData read(Path file) {
        if (!jacksonPresent()) {
            throw new IllegalStateException("reading " + file + " (a Hugging Face tokenizer.json) needs Jackson: add "
                    + JACKSON_ARTIFACT + " to the class path (on the module path also --add-modules com.fasterxml.jackson.databind)");
        }
        return Parser.read(file);
    }

    /** True when Jackson can be loaded from here (asked without loading it, so its absence is not an error). */
    static boolean jacksonPresent() {
        try {
            Class.forName("com.fasterxml.jackson.databind.ObjectMapper", false, HfTokenizerJson.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Everything that touches Jackson types, in a class of its own: it is loaded only once Jackson is known to exist. */
    private static final class Parser {
        static TokenizerData read(Path file) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(file.toFile());
            } catch (JacksonException e) {
                throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object at the top level");
            JsonNode model = object(root, "model", file);
            if (model.hasNonNull("type") && !"BPE".equals(model.get("type").asText())) {
                throw new IllegalArgumentException(file + ": model.type is " + model.get("type").asText() + ", expected BPE");
            }
            JsonNode vocab = object(model, "vocab", file);
            List<JsonNode> added = new ArrayList<>();
            if (root.get("added_tokens") instanceof JsonNode a && a.isArray()) a.forEach(added::add);

            int size = 0;
            for (JsonNode t : added) size = Math.max(size, idOf(t.get("id")) + 1);
            for (Map.Entry<String, JsonNode> e : vocab.properties()) size = Math.max(size, idOf(e.getValue()) + 1);
            String[] tokens = new String[size];
            int[] types = new int[size];
            Arrays.fill(types, TokenizerData.TYPE_UNUSED);
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                int id = idOf(e.getValue());
                tokens[id] = e.getKey();
                types[id] = TokenizerData.TYPE_NORMAL;
            }
            for (JsonNode t : added) {
                int id = idOf(t.get("id"));
                if (t.get("content") == null || !t.get("content").isTextual()) throw new IllegalArgumentException("added token " + id + " has no content");
                tokens[id] = t.get("content").asText();
                types[id] = t.path("special").asBoolean(false) ? TokenizerData.TYPE_CONTROL : TokenizerData.TYPE_USER_DEFINED;
            }
            for (int i = 0; i < size; i++) {
                if (tokens[i] == null) {
                    tokens[i] = "[PAD" + i + "]"; // hole in the id space: unreachable placeholder
                }
            }
            List<String> tokenList = Arrays.asList(tokens);
            List<String> merges = readMerges(model.get("merges"));
            int bos = firstFound(tokenList, "<|begin_of_text|>", "<s>");
            int eos = firstFound(tokenList, "<|end_of_text|>", "</s>");
            return new TokenizerData(tokenList, merges, types, bos, eos, TokenizerData.findToken(tokenList, "<|eot_id|>"),
                    bos >= 0, null, null);
        }

        private static List<String> readMerges(JsonNode json) {
            if (json == null || json.isNull()) {
                return List.of();
            }
            if (!json.isArray()) throw new IllegalArgumentException("tokenizer.json: model.merges is not an array");
            List<String> merges = new ArrayList<>(json.size());
            for (JsonNode m : json) {
                if (m.isTextual()) {
                    merges.add(m.asText());
                } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                    merges.add(m.get(0).asText() + " " + m.get(1).asText());
                } else {
                    throw new IllegalArgumentException("unsupported merge entry: " + m);
                }
            }
            return merges;
        }

        private static int idOf(JsonNode json) {
            if (json != null && json.canConvertToInt() && json.isIntegralNumber() && json.asInt() >= 0 && json.asInt() < Integer.MAX_VALUE) {
                return json.asInt();
            }
            throw new IllegalArgumentException("bad token id: " + json);
        }

        private static JsonNode object(JsonNode parent, String field, Path file) {
            JsonNode node = parent.get(field);
            if (node == null || !node.isObject()) throw new IllegalArgumentException(file + ": expected an object for " + field);
            return node;
        }
    }

    private static int firstFound(List<String> tokens, String... names) {
        for (String name : names) {
            int id = tokens.indexOf(name);
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }
}
