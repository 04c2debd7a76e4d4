package io.bitnet4j.kernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The C++ kernel library: one native call per operation and row range, after Java-side validation.
 * Which ISA runs is chosen inside the library at load time (best the CPU supports) unless forced with
 * {@link #select(String)} or the system property {@code bitnet4j.isa}. The ternary kernel is I2_S, or TL1 / TL2
 * over weights repacked by {@link #prepare} ({@link #create}).
 */
public final class NativeBackend implements Kernels {

    /** Whether the library loaded, checked once, before anything calls into it; never throws (see {@link #probe}). */
    private static final Probe PROBE = probe();

    /** Null when the native library loaded, else why not. */
    private static final String UNAVAILABLE = PROBE.unavailable();

    /** The library's ISA names, indexed by ISA id: read once through the ABI, the list lives in dispatch.cpp. */
    private static final List<String> ISA_NAMES = PROBE.isaNames();

    private final int isa;
    /** "tl1" or "tl2" for the lookup-table kernels, null for I2_S. */
    private final String lutLayout;
    /** The ISA the lookup-table kernel runs on: the forced one, else the layout's best on this CPU. */
    private final String lutIsa;

    /** The backend with the library's active ISA (the best one, or what bitnet4j.isa names). */
    public NativeBackend() {
        this(defaultIsa(), null, null);
    }

    private NativeBackend(int isa, String lutLayout, String lutIsa) {
        this.isa = isa;
        this.lutLayout = lutLayout;
        this.lutIsa = lutIsa;
    }

    /** A backend pinned to one ISA, e.g. "avx2"; fails with a message naming the ISA if this CPU lacks it. */
    public static NativeBackend select(String isaName) {
        return new NativeBackend(supportedIsaId(isaName), null, null);
    }

    /**
     * The backend for an ISA (null: the best, or bitnet4j.isa) and a ternary kernel: "i2s", "tl1" or "tl2". A
     * forced ISA is the one every kernel runs on; a lookup-table layout without a kernel for it is refused. Without
     * a forced ISA the lookup tables run on the layout's SIMD ISA where this CPU has it (tl2: avx2, tl1: neon), else
     * on the scalar kernel.
     */
    public static NativeBackend create(String isaOrNull, String ternaryKernel) {
        int isa = isaOrNull == null ? defaultIsa() : supportedIsaId(isaOrNull);
        return switch (ternaryKernel) {
            case "i2s" -> new NativeBackend(isa, null, null);
            case LutMatrix.TL1, LutMatrix.TL2 -> {
                String layout = ternaryKernel;
                String simd = layout.equals(LutMatrix.TL2) ? "avx2" : "neon";
                String lutIsa;
                if (isaOrNull == null) lutIsa = NativeLut.supported(layout) && !ISA_NAMES.get(isa).equals("scalar") ? simd : "scalar";
                else if (NativeLut.runs(layout, isaOrNull)) lutIsa = isaOrNull;
                else throw new IllegalArgumentException("the " + layout + " kernel has no " + isaOrNull + " version (it runs on scalar"
                        + (layout.equals(LutMatrix.TL2) ? " and avx2" : ", neon and neon-dotprod") + ")");
                yield new NativeBackend(isa, layout, lutIsa);
            }
            default -> throw new IllegalArgumentException("unknown native ternary kernel '" + ternaryKernel + "', expected i2s, tl1 or tl2");
        };
    }

    /** Null when the native library is loaded and usable on this platform, else the reason it is not. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** The outcome of loading the library: the ISA names it reports, or why it is unusable (then no names). */
    private record Probe(String unavailable, List<String> isaNames) {}

    /**
     * Loads the library and reads its ISA names. Whatever goes wrong (JavaCPP itself missing from this class
     * loader, no natives for this platform, a library that fails to link or to answer) becomes the reason it is
     * unavailable, so that this class always initializes and {@code Backend.AUTO} can fall back to the Vector API:
     * an exception out of a static initializer would leave the class unusable for the JVM's lifetime
     * ({@code NoClassDefFoundError: Could not initialize class}) even where the native backend was never asked for.
     */
    private static Probe probe() {
        try {
            Class.forName(NativeKernels.class.getName(), true, NativeKernels.class.getClassLoader());
            return new Probe(null, isaNames());
        } catch (LinkageError | ClassNotFoundException | RuntimeException e) {
            return new Probe(unavailableBecause(e), List.of());
        }
    }

    private static String unavailableBecause(Throwable e) {
        String platform;
        try {
            platform = org.bytedeco.javacpp.Loader.getPlatform();
        } catch (LinkageError javacppMissing) {
            return "JavaCPP (org.bytedeco:javacpp, a dependency of bitnet4j-core) cannot be loaded by bitnet4j-core's class loader, so neither can the native kernel library: " + e;
        }
        // JavaCPP finds the natives as resources of the binding class: on the class path, in any jar; a module-path
        // application does not see another module's jar this way, so there too it runs on the Vector API.
        return "no native kernel library for " + platform + " could be loaded (put io.bitnet4j:bitnet4j-core with classifier "
                + platform + ", or bitnet4j-platform, on the class path): " + e;
    }

    private static void requireLibrary() {
        if (UNAVAILABLE != null) throw new UnsupportedOperationException(UNAVAILABLE);
    }

    private static int supportedIsaId(String isaName) {
        requireLibrary();
        int isa = isaId(isaName);
        if (NativeKernels.b4j_isa_supported(isa) == 0)
            throw new UnsupportedOperationException("ISA " + isaName + " is not supported by this CPU or this build (supported: " + String.join(", ", supportedIsas()) + ")");
        return isa;
    }

    private static int defaultIsa() {
        requireLibrary();
        String forced = System.getProperty("bitnet4j.isa");
        return forced == null || forced.isBlank() ? NativeKernels.b4j_isa_active() : supportedIsaId(forced);
    }

    private static List<String> isaNames() {
        var names = new ArrayList<String>();
        for (int i = 0, n = NativeKernels.b4j_isa_count(); i < n; i++) names.add(NativeKernels.b4j_isa_name(i));
        return List.copyOf(names);
    }

    static int isaId(String name) {
        int id = ISA_NAMES.indexOf(name);
        if (id < 0)
            throw new IllegalArgumentException("unknown ISA '" + name + "', expected one of " + String.join(", ", ISA_NAMES));
        return id;
    }

    /** Every ISA name the library knows. */
    public static List<String> allIsas() {
        return ISA_NAMES;
    }

    /** The ISAs this CPU and this build can run, best last. */
    public static List<String> supportedIsas() {
        requireLibrary();
        var out = new ArrayList<String>();
        for (int i = 0; i < ISA_NAMES.size(); i++) if (NativeKernels.b4j_isa_supported(i) != 0) out.add(ISA_NAMES.get(i));
        return out;
    }

    /** True if this CPU and build can run the named ISA. */
    public static boolean supports(String isaName) {
        return UNAVAILABLE == null && NativeKernels.b4j_isa_supported(isaId(isaName)) != 0;
    }

    /** The best ISA of this CPU. */
    public static String bestIsa() {
        requireLibrary();
        return NativeKernels.b4j_isa_name(NativeKernels.b4j_isa_best());
    }

    public static String libraryVersion() {
        requireLibrary();
        return NativeKernels.b4j_version();
    }

    public String isa() {
        return ISA_NAMES.get(isa);
    }

    /** The ISA the ternary kernel runs on (differs from {@link #isa()} only for a lookup-table kernel). */
    public String ternaryIsa() {
        return lutLayout == null ? isa() : lutIsa;
    }

    @Override
    public String ternaryKernel() {
        return lutLayout == null ? "i2s" : lutLayout + " on " + lutIsa;
    }

    @Override
    public TernaryWeights prepare(TernaryMatrix w, java.lang.foreign.Arena arena) {
        return lutLayout == null ? w : NativeLut.pack(w, lutLayout, arena);
    }

    @Override
    public void ternaryGemm(TernaryWeights w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        switch (w) {
            case TernaryMatrix m when lutLayout == null -> i2sGemm(m, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
            case LutMatrix m when m.layout().equals(lutLayout) -> NativeLut.gemm(lutIsa, m, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
            default -> throw wrongLayout(w);
        }
    }

    /**
     * {@inheritDoc} Runs {@code b4j_int8_mac_loop} on this backend's ISA. 0 with a lookup-table kernel: it looks
     * products up instead of multiplying, so a MAC rate does not bound it.
     */
    @Override
    public long int8MacLoop(long rounds) {
        if (rounds < 1 || rounds > MAX_MAC_ROUNDS)
            throw new IllegalArgumentException("rounds must be between 1 and " + MAX_MAC_ROUNDS + ", got " + rounds);
        if (lutLayout != null) return 0;
        long macs = NativeKernels.b4j_int8_mac_loop(isa, rounds);
        if (macs < 0) check((int) macs); // a status code instead of a count
        return macs;
    }

    /** The most rounds b4j_int8_mac_loop takes (2^32). */
    public static final long MAX_MAC_ROUNDS = 1L << 32;

    @Override
    public String name() {
        return "native";
    }

    @Override
    public String describe() {
        return "native " + isa();
    }


    @Override
    public void quantizeI8s(MemorySegment x, int n, int rows, MemorySegment q, MemorySegment scale, MemorySegment sum) {
        KernelChecks.quantize(x, n, rows, q, scale, sum);
        offHeap(x);
        offHeap(q);
        offHeap(scale);
        offHeap(sum);
        check(NativeKernels.b4j_quantize_i8s(isa, x.address(), n, rows, q.address(), scale.address(), sum.address()));
    }

    @Override
    public void i2sGemm(TernaryMatrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.i2sGemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        offHeap(w.data());
        offHeap(q);
        offHeap(actScale);
        offHeap(actSum);
        offHeap(y);
        check(NativeKernels.b4j_i2s_gemm(isa, w.data().address(), w.scale(), w.rows(), w.cols(), q.address(),
                actScale.address(), actSum.address(), tokens, y.address(), ldy, rowBegin, rowEnd));
    }

    @Override
    public void f16Gemm(F16Matrix w, MemorySegment x, int tokens, MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.f16Gemm(w, x, tokens, y, ldy, rowBegin, rowEnd);
        offHeap(w.data());
        offHeap(x);
        offHeap(y);
        check(NativeKernels.b4j_f16_gemm(isa, w.data().address(), w.rows(), w.cols(), x.address(), tokens,
                y.address(), ldy, rowBegin, rowEnd));
    }

    @Override
    public void i8Gemm(I8Matrix w, MemorySegment q, MemorySegment actScale, int tokens, MemorySegment y, int ldy,
            int rowBegin, int rowEnd) {
        KernelChecks.i8Gemm(w, q, actScale, tokens, y, ldy, rowBegin, rowEnd);
        offHeap(w.data());
        offHeap(w.scales());
        offHeap(q);
        offHeap(actScale);
        offHeap(y);
        check(NativeKernels.b4j_i8_gemm(isa, w.data().address(), w.scales().address(), w.rows(), w.cols(),
                q.address(), actScale.address(), tokens, y.address(), ldy, rowBegin, rowEnd));
    }

    @Override
    public void q4Gemm(Q4Matrix w, MemorySegment q, MemorySegment actScale, MemorySegment actSum, int tokens,
            MemorySegment y, int ldy, int rowBegin, int rowEnd) {
        KernelChecks.q4Gemm(w, q, actScale, actSum, tokens, y, ldy, rowBegin, rowEnd);
        offHeap(w.data());
        offHeap(w.scales());
        offHeap(q);
        offHeap(actScale);
        offHeap(actSum);
        offHeap(y);
        check(NativeKernels.b4j_q4_gemm(isa, w.data().address(), w.scales().address(), w.rows(), w.cols(),
                q.address(), actScale.address(), actSum.address(), tokens, y.address(), ldy, rowBegin, rowEnd));
    }

    /**
     * {@link I8Matrix#quantizeRows} in native code (bit-identical, faster at load time): rows [rowBegin, rowEnd)
     * of src into the same rows of dst. The rows are first checked for Inf/NaN in Java, which the native packer
     * would count as 0.
     */
    public static void quantizeI8Rows(F16Matrix src, I8Matrix dst, int rowBegin, int rowEnd) {
        I8Matrix.checkPack(src, dst, rowBegin, rowEnd);
        offHeap(src.data());
        offHeap(dst.data());
        offHeap(dst.scales());
        I8Matrix.requireFinite(src, rowBegin, rowEnd);
        int status = NativeKernels.b4j_i8_quantize_rows(src.data().address(), src.rows(), src.cols(),
                dst.data().address(), dst.scales().address(), rowBegin, rowEnd);
        if (status != NativeKernels.OK) throw new IllegalStateException("native I8 packer failed with status " + status);
    }

    /**
     * {@link Q4Matrix#quantizeRows} in native code (bit-identical, faster at load time): rows [rowBegin, rowEnd)
     * of src into the same rows of dst. The rows are first checked for Inf/NaN in Java, which the native packer
     * would count as 0.
     */
    public static void quantizeQ4Rows(F16Matrix src, Q4Matrix dst, int rowBegin, int rowEnd) {
        Q4Matrix.checkPack(src, dst, rowBegin, rowEnd);
        offHeap(src.data());
        offHeap(dst.data());
        offHeap(dst.scales());
        I8Matrix.requireFinite(src, rowBegin, rowEnd);
        int status = NativeKernels.b4j_q4_quantize_rows(src.data().address(), src.rows(), src.cols(),
                dst.data().address(), dst.scales().address(), rowBegin, rowEnd);
        if (status != NativeKernels.OK) throw new IllegalStateException("native Q4 packer failed with status " + status);
    }

    /** One segment at a time: a varargs array would allocate on every kernel call. */
    private static void offHeap(MemorySegment s) {
        KernelChecks.offHeap("argument", s);
    }

    private void check(int status) {
        if (status == NativeKernels.OK) return;
        throw new IllegalStateException(switch (status) {
            case NativeKernels.EBADARG -> "native kernel rejected its arguments (a bug: Java validation let them through)";
            case NativeKernels.EISA -> "ISA " + isa() + " is not available in the native library";
            default -> "native kernel failed with status " + status;
        });
    }
}
