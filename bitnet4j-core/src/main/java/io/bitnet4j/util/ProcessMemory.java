package io.bitnet4j.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory as Linux reports it in /proc/self/status; -1 elsewhere. */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** VmRSS: bytes resident now. */
    public static long resident() {
        return field("VmRSS:");
    }

    /** VmHWM: the peak of VmRSS so far (what /usr/bin/time -v reports as maximum resident set size). */
    public static long peakResident() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        if (!Files.isReadable(STATUS)) return -1;
        try (var lines = Files.lines(STATUS)) {
            return lines.filter(l -> l.startsWith(name)).findFirst()
                    .map(l -> Long.parseLong(l.substring(name.length()).trim().split("\\s+")[0]) * 1024) // "NNN kB"
                    .orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
