package io.bitnet4j.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The one spelling rule of the option enums: lower case, '-' for '_' (AVX512_VNNI is "avx512-vnni"). */
final class Names {
    private Names() {}

    static String id(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static <E extends Enum<E>> E parse(Class<E> type, String id, String what) {
        if (id != null)
            for (E e : type.getEnumConstants()) if (id(e).equals(id.trim().toLowerCase(Locale.ROOT))) return e;
        throw new IllegalArgumentException("unknown " + what + " '" + id + "', expected one of "
                + Arrays.stream(type.getEnumConstants()).map(Names::id).collect(Collectors.joining(", ")));
    }
}
