package io.bitnet4j.hub;

import java.util.Locale;

/** Byte counts for people: decimal units, as download tools and the hub's web pages show them. */
public final class Sizes {
    private Sizes() {}

    /** 950 B, 12.3 kB, 540.2 MB, 1.19 GB. */
    public static String format(long bytes) {
        if (bytes < 1000) return bytes + " B";
        String[] units = {"kB", "MB", "GB", "TB", "PB"};
        double v = bytes;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }
}
