package io.bitnet4j.gguf;

import java.lang.reflect.Array;
import java.util.List;

/**
 * A metadata array as read: the element type and a Java array of the matching width (byte[] for u8/i8,
 * short[] for u16/i16, int[] for u32/i32, long[] for u64/i64, float[], double[], boolean[]) or a
 * List&lt;String&gt;. Unsigned elements keep their bit patterns; use {@link #elementType()} to interpret them.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    /** The elements: the unmodifiable string list, or a copy of the primitive array (so the file's copy stays intact). */
    @Override
    public Object values() {
        return switch (values) {
            case byte[] a -> a.clone();
            case short[] a -> a.clone();
            case int[] a -> a.clone();
            case long[] a -> a.clone();
            case float[] a -> a.clone();
            case double[] a -> a.clone();
            case boolean[] a -> a.clone();
            default -> values;
        };
    }

    /** The elements without copying, for this package's own read-only use. */
    Object raw() {
        return values;
    }

    public int size() {
        return values instanceof List<?> l ? l.size() : Array.getLength(values);
    }

    @Override
    public String toString() {
        return "array[" + elementType + " x " + size() + "]";
    }
}
