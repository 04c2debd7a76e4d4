package io.bitnet4j.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer with no dependencies.
 *
 * <p>Reading maps JSON values onto plain Java objects: object → {@link LinkedHashMap} (key order kept),
 * array → {@link ArrayList}, string → {@link String}, integer literal → {@link Long} (or {@link Double} when
 * it does not fit), any other number → {@link Double}, {@code true/false} → {@link Boolean}, {@code null} → null.
 * Anything outside the grammar (comments, trailing commas, single quotes, leading zeros, raw control characters
 * in strings, NaN, trailing garbage) is rejected with a {@link JsonException} naming the character offset.
 * Nesting deeper than {@link #DEFAULT_MAX_DEPTH} is rejected so hostile input cannot overflow the stack.
 *
 * <p>Writing: {@link #write(Object)} serialises the same object model; {@link #appendString} escapes a string;
 * {@link #appendFloats} writes float arrays so that every value parses back to the identical float32.
 */
public final class Json {

    /** Maximum nesting of arrays/objects accepted by {@link #parse(String)}. */
    public static final int DEFAULT_MAX_DEPTH = 512;

    private Json() {}

    /** Thrown for malformed input; {@link #offset()} is the char index where the problem was found. */
    public static final class JsonException extends IllegalArgumentException {
        private final int offset;

        JsonException(String message, int offset) {
            super(message + " at offset " + offset);
            this.offset = offset;
        }

        public int offset() {
            return offset;
        }
    }

    // ------------------------------------------------------------------------------------------ reading

    public static Object parse(String text) {
        return parse(text, DEFAULT_MAX_DEPTH);
    }

    public static Object parse(String text, int maxDepth) {
        return new Reader(text, maxDepth).parseDocument();
    }

    /** Reads a UTF-8 file and parses it. */
    public static Object parseFile(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Recursive-descent parser over a String; one instance per document. */
    private static final class Reader {
        private final String s;
        private final int maxDepth;
        private int pos;
        private int depth;
        private final StringBuilder scratch = new StringBuilder();

        Reader(String s, int maxDepth) {
            this.s = s;
            this.maxDepth = maxDepth;
        }

        Object parseDocument() {
            skipWhitespace();
            Object value = parseValue();
            skipWhitespace();
            if (pos < s.length()) {
                throw error("unexpected " + describe(pos) + " after the JSON value");
            }
            return value;
        }

        private Object parseValue() {
            if (pos >= s.length()) {
                throw error("unexpected end of input, expected a value");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> parseObject();
                case '[' -> parseArray();
                case '"' -> parseString();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield parseNumber();
                    }
                    throw error("unexpected " + describe(pos) + ", expected a value");
                }
            };
        }

        private Map<String, Object> parseObject() {
            enter();
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                depth--;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error("expected a string key but found " + describe(pos));
                }
                int keyOffset = pos;
                String key = parseString();
                skipWhitespace();
                expect(':');
                skipWhitespace();
                Object value = parseValue();
                if (map.containsKey(key)) {
                    throw new JsonException("duplicate key \"" + key + "\"", keyOffset);
                }
                map.put(key, value);
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    depth--;
                    return map;
                } else {
                    throw error("expected ',' or '}' but found " + describe(pos));
                }
            }
        }

        private List<Object> parseArray() {
            enter();
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                depth--;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(parseValue());
                skipWhitespace();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    depth--;
                    return list;
                } else {
                    throw error("expected ',' or ']' but found " + describe(pos));
                }
            }
        }

        private void enter() {
            if (++depth > maxDepth) {
                throw error("nesting deeper than " + maxDepth);
            }
        }

        private String parseString() {
            int start = ++pos; // after the opening quote
            // Fast path: no escapes — return a substring without copying char by char.
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    return s.substring(start, pos++);
                }
                if (c == '\\') {
                    break;
                }
                if (c < 0x20) {
                    throw error("raw control character U+%04X in string".formatted((int) c));
                }
                pos++;
            }
            scratch.setLength(0);
            scratch.append(s, start, pos);
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') {
                    return scratch.toString();
                }
                if (c < 0x20) {
                    pos--;
                    throw error("raw control character U+%04X in string".formatted((int) c));
                }
                if (c != '\\') {
                    scratch.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    break;
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> scratch.append('"');
                    case '\\' -> scratch.append('\\');
                    case '/' -> scratch.append('/');
                    case 'b' -> scratch.append('\b');
                    case 'f' -> scratch.append('\f');
                    case 'n' -> scratch.append('\n');
                    case 'r' -> scratch.append('\r');
                    case 't' -> scratch.append('\t');
                    case 'u' -> scratch.append(parseHex4());
                    default -> {
                        pos--;
                        throw error("invalid escape \\" + e);
                    }
                }
            }
            throw new JsonException("unterminated string", start - 1);
        }

        private char parseHex4() {
            if (pos + 4 > s.length()) {
                throw error("truncated \\u escape");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(s.charAt(pos), 16);
                if (d < 0) {
                    throw error("invalid hex digit " + describe(pos) + " in \\u escape");
                }
                v = v * 16 + d;
                pos++;
            }
            return (char) v; // surrogate pairs arrive as two escapes and simply concatenate
        }

        private Object parseNumber() {
            int start = pos;
            boolean integral = true;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw error("leading zero in number");
                }
            } else {
                requireDigits("integer part");
            }
            if (peek() == '.') {
                pos++;
                integral = false;
                requireDigits("fraction");
            }
            if (peek() == 'e' || peek() == 'E') {
                pos++;
                integral = false;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                requireDigits("exponent");
            }
            String literal = s.substring(start, pos);
            if (integral) {
                try {
                    return Long.parseLong(literal);
                } catch (NumberFormatException outsideLongRange) {
                    // a huge integer is kept (approximately) as a double, as most JSON readers do
                }
            }
            return Double.parseDouble(literal);
        }

        private void requireDigits(String what) {
            if (!isDigit(peek())) {
                throw error("expected a digit in the number's " + what + " but found " + describe(pos));
            }
            while (isDigit(peek())) {
                pos++;
            }
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) {
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
            pos += word.length();
            return value;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "' but found " + describe(pos));
            }
            pos++;
        }

        private void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                pos++;
            }
        }

        /** Current char, or U+FFFF at end of input (never valid where a real char is required). */
        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\uFFFF';
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private String describe(int at) {
            if (at >= s.length()) {
                return "end of input";
            }
            char c = s.charAt(at);
            return c >= 0x20 && c < 0x7F ? "'" + c + "'" : "U+%04X".formatted((int) c);
        }

        private JsonException error(String message) {
            return new JsonException(message, pos);
        }
    }

    // ------------------------------------------------------------------------------------------ writing

    /** Serialises Map/List/String/Number/Boolean/null (and float[]/int[]) to compact JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        appendValue(sb, value);
        return sb.toString();
    }

    /** Returns {@code s} as a quoted, escaped JSON string literal. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        appendString(sb, s);
        return sb.toString();
    }

    public static void appendValue(StringBuilder sb, Object value) {
        switch (value) {
            case null -> sb.append("null");
            case String str -> appendString(sb, str);
            case Boolean b -> sb.append(b.booleanValue());
            case Float f -> appendFloat(sb, f);
            case Double d -> appendDouble(sb, d);
            case Number n -> sb.append(n.longValue());
            case float[] fs -> appendFloats(sb, fs);
            case int[] is -> {
                sb.append('[');
                for (int i = 0; i < is.length; i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    sb.append(is[i]);
                }
                sb.append(']');
            }
            case Map<?, ?> map -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    appendString(sb, String.valueOf(e.getKey()));
                    sb.append(':');
                    appendValue(sb, e.getValue());
                }
                sb.append('}');
            }
            case Iterable<?> list -> {
                sb.append('[');
                boolean first = true;
                for (Object o : list) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    appendValue(sb, o);
                }
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    /** Appends {@code s} as a JSON string literal: quotes, backslashes and control characters are escaped. */
    public static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    // Control chars must be escaped; U+2028/2029 too, so the output is also valid JavaScript.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        sb.append("\\u%04x".formatted((int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * Appends a float so that {@code Float.parseFloat} (and parsing the JSON double then casting to float) gives
     * back the identical value: Float.toString prints the shortest decimal that round-trips to float32.
     */
    public static void appendFloat(StringBuilder sb, float f) {
        if (!Float.isFinite(f)) {
            throw new IllegalArgumentException("JSON has no representation for " + f);
        }
        sb.append(Float.toString(f));
    }

    public static void appendDouble(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no representation for " + d);
        }
        sb.append(Double.toString(d));
    }

    /** Appends {@code [f0,f1,...]}; each element round-trips exactly to float32 (see {@link #appendFloat}). */
    public static void appendFloats(StringBuilder sb, float[] values) {
        sb.append('[');
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            appendFloat(sb, values[i]);
        }
        sb.append(']');
    }

    /** Converts a parsed JSON array of numbers back to float[] (values narrowed to float32). */
    public static float[] toFloats(Object jsonArray) {
        List<?> list = (List<?>) jsonArray;
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).floatValue();
        }
        return out;
    }
}
