package io.bitnet4j.gguf;

/** The type ids of GGUF metadata values (spec §1.1), with the fixed byte width of each scalar type. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int width;

    GgufValueType(int id, int width) {
        this.id = id;
        this.width = width;
    }

    public int id() {
        return id;
    }

    /** Byte width of a scalar, or -1 for the variable-length STRING and ARRAY. */
    int width() {
        return width;
    }

    /** Smallest number of bytes one value of this type can occupy (a string is at least its u64 length). */
    int minBytes() {
        return width > 0 ? width : this == STRING ? 8 : 12;
    }

    boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with this id, or null if the id is unknown. */
    static GgufValueType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
