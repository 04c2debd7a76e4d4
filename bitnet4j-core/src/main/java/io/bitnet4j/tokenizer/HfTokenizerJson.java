package io.bitnet4j.tokenizer;

import io.bitnet4j.util.Json;

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
 */
final class HfTokenizerJson {

    private HfTokenizerJson() {}

    static TokenizerData read(Path file) {
        Map<String, Object> root = asMap(Json.parseFile(file), "top level");
        Map<String, Object> model = asMap(root.get("model"), "model");
        if (model.get("type") != null && !"BPE".equals(model.get("type"))) {
            throw new IllegalArgumentException(file + ": model.type is " + model.get("type") + ", expected BPE");
        }
        Map<String, Object> vocab = asMap(model.get("vocab"), "model.vocab");
        List<Object> added = root.get("added_tokens") instanceof List<?> l ? castList(l) : List.of();

        int size = vocab.size();
        for (Object o : added) {
            size = Math.max(size, idOf(asMap(o, "added token").get("id")) + 1);
        }
        for (Object id : vocab.values()) {
            size = Math.max(size, idOf(id) + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        Arrays.fill(types, TokenizerData.TYPE_UNUSED);
        vocab.forEach((text, id) -> {
            tokens[idOf(id)] = text;
            types[idOf(id)] = TokenizerData.TYPE_NORMAL;
        });
        for (Object o : added) {
            Map<String, Object> t = asMap(o, "added token");
            int id = idOf(t.get("id"));
            tokens[id] = (String) t.get("content");
            types[id] = Boolean.TRUE.equals(t.get("special")) ? TokenizerData.TYPE_CONTROL
                    : TokenizerData.TYPE_USER_DEFINED;
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

    private static List<String> readMerges(Object json) {
        if (json == null) {
            return List.of();
        }
        List<Object> list = castList((List<?>) json);
        List<String> merges = new ArrayList<>(list.size());
        for (Object m : list) {
            if (m instanceof String s) {
                merges.add(s);
            } else if (m instanceof List<?> pair && pair.size() == 2) {
                merges.add(pair.get(0) + " " + pair.get(1));
            } else {
                throw new IllegalArgumentException("unsupported merge entry: " + m);
            }
        }
        return merges;
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

    private static int idOf(Object json) {
        if (json instanceof Long l && l >= 0 && l < Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw new IllegalArgumentException("bad token id: " + json);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object json, String what) {
        if (json instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException("tokenizer.json: expected an object for " + what);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(List<?> l) {
        return (List<Object>) l;
    }
}
