package io.bitnet4j.bench;

import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.kernels.NativeLut;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the native kernels this CPU runs with SIMD, comma-separated, for scripts/kernel-study.sh; with the
 * argument "best", only the ISA the library would pick (scripts/bench-kernels.sh).
 */
public final class SupportedKernels {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("best")) {
            System.out.println(NativeBackend.bestIsa());
            return;
        }
        List<String> out = new ArrayList<>(NativeBackend.supportedIsas());
        out.remove("scalar");
        for (String layout : List.of("tl2", "tl1")) if (NativeLut.supported(layout)) out.add(layout);
        System.out.println(String.join(",", out));
    }
}
