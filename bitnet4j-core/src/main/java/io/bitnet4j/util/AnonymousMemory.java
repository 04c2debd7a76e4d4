package io.bitnet4j.util;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Anonymous memory from the kernel, advised to use transparent huge pages on Linux. Weights read into it are
 * streamed through 2 MiB pages instead of the page cache's 4 KiB ones: one TLB entry covers 512 times more of
 * a matrix, which a decode step (1.2 GB read per token) notices. Elsewhere a plain Arena allocation.
 */
public final class AnonymousMemory {
    private static final long HUGE_PAGE = 2L << 20;
    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    // Linux values, the same on x86_64 and aarch64
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP, MUNMAP, MADVISE;
    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        if (LINUX) {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private AnonymousMemory() {}

    /**
     * {@code bytes} of zeroed memory aligned to 2 MiB, freed when {@code arena} closes. Throws OutOfMemoryError
     * with the size in its message when the kernel refuses.
     */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        if (!LINUX) return arena.allocate(Math.max(1, bytes), 64);
        long length = bytes + HUGE_PAGE; // room to align the start
        MemorySegment raw;
        try {
            raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (raw.address() == -1L || raw.address() == 0L)
            throw new OutOfMemoryError("could not map " + bytes + " bytes of anonymous memory");
        long start = (raw.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
        MemorySegment whole = raw.reinterpret(length, arena, s -> unmap(s, length));
        MemorySegment aligned = whole.asSlice(start - raw.address(), bytes);
        try {
            int ignored = (int) MADVISE.invokeExact(aligned, bytes, MADV_HUGEPAGE); // advice only: 4 KiB pages still work
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed", t);
        }
        return aligned;
    }

    private static void unmap(MemorySegment s, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(s, length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }
}
