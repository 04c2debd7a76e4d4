package io.bitnet4j.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * How {@link BitNetSpark#score} names its columns.
 *
 * @param columnPrefix prepended to the added column names ({@link Columns})
 */
public record ScoreOptions(String columnPrefix) implements Serializable {
    public ScoreOptions {
        Objects.requireNonNull(columnPrefix, "columnPrefix");
    }

    public static ScoreOptions defaults() {
        return new ScoreOptions("");
    }
}
