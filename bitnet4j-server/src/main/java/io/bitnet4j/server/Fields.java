package io.bitnet4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Typed reads of one JSON object of a request, each failure an {@link ApiException} (400) that names the field:
 * "'temperature' must be a number between 0 and 2, got \"hot\"". Absent and null fields are the same: not given.
 */
final class Fields {
    private final JsonNode node;
    private final String prefix; // the path of this object in the body, e.g. "messages[2]."

    private Fields(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    /** The body: must be one JSON object. */
    static Fields body(JsonNode body) {
        if (body == null || body.isMissingNode()) throw ApiException.malformedJson("the body is empty; send a JSON object");
        if (!body.isObject()) throw ApiException.invalid(null, "The request body must be a JSON object, got " + kind(body) + ".");
        return new Fields(body, "");
    }

    /** A nested object, e.g. messages[2] or stream_options. */
    static Fields object(JsonNode node, String path) {
        if (!node.isObject()) throw ApiException.invalid(path, "'" + path + "' must be an object, got " + kind(node) + ".");
        return new Fields(node, path + ".");
    }

    String path(String name) {
        return prefix + name;
    }

    boolean has(String name) {
        JsonNode v = node.get(name);
        return v != null && !v.isNull();
    }

    /** The raw value, or null when absent or null. */
    JsonNode raw(String name) {
        return has(name) ? node.get(name) : null;
    }

    Optional<String> string(String name) {
        JsonNode v = raw(name);
        if (v == null) return Optional.empty();
        if (!v.isTextual()) throw wrongType(name, "a string", v);
        return Optional.of(v.textValue());
    }

    String requiredString(String name) {
        return string(name).orElseThrow(() -> ApiException.invalid(path(name), "Missing required parameter: '" + path(name) + "'."));
    }

    Optional<Boolean> bool(String name) {
        JsonNode v = raw(name);
        if (v == null) return Optional.empty();
        if (!v.isBoolean()) throw wrongType(name, "a boolean", v);
        return Optional.of(v.booleanValue());
    }

    OptionalDouble number(String name, double min, double max) {
        JsonNode v = raw(name);
        if (v == null) return OptionalDouble.empty();
        if (!v.isNumber() || !(v.doubleValue() >= min && v.doubleValue() <= max))
            throw wrongType(name, "a number between " + plain(min) + " and " + plain(max), v);
        return OptionalDouble.of(v.doubleValue());
    }

    OptionalInt integer(String name, int min, int max) {
        JsonNode v = raw(name);
        if (v == null) return OptionalInt.empty();
        if (!isInteger(v) || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max)
            throw wrongType(name, "an integer between " + min + " and " + max, v);
        return OptionalInt.of(v.intValue());
    }

    OptionalLong longInteger(String name) {
        JsonNode v = raw(name);
        if (v == null) return OptionalLong.empty();
        if (!isInteger(v) || !v.canConvertToLong()) throw wrongType(name, "an integer", v);
        return OptionalLong.of(v.longValue());
    }

    /** Integral numbers, also when written as 7.0 (some clients serialise every number as a double). */
    private static boolean isInteger(JsonNode v) {
        return v.isIntegralNumber() || (v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue()));
    }

    ApiException wrongType(String name, String expected, JsonNode got) {
        return ApiException.invalid(path(name), "'" + path(name) + "' must be " + expected + ", got " + shown(got) + ".");
    }

    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The offending value as the client wrote it, cut short. */
    private static String shown(JsonNode v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static String plain(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
