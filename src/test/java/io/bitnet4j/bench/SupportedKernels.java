package io.bitnet4j.bench;

import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.NativeLut;
import java.util.ArrayList;
import java.util.List;

/** Prints the native kernels this CPU runs with SIMD, comma-separated, for scripts/kernel-study.sh. */
public final class SupportedKernels {
    public static void main(String[] args) {
        List<String> out = new ArrayList<>(NativeBackend.supportedIsas());
        out.remove("scalar");
        for (String layout : List.of("tl2", "tl1")) if (NativeLut.supported(layout)) out.add(layout);
        System.out.println(String.join(",", out));
    }
}
