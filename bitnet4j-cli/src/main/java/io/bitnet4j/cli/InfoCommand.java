package io.bitnet4j.cli;

import io.bitnet4j.gguf.GgufFile;
import io.bitnet4j.gguf.GgufTensorInfo;
import io.bitnet4j.kernels.NativeBackend;
import io.bitnet4j.model.Model;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show the model's metadata and tensors, and the kernels, ISA and threads that would run it.")
final class InfoCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--tensors", description = "list every tensor (default: a summary by type)")
    boolean allTensors;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.println("== system");
        out.printf("cpu: %s, %d processors, java %s%n", cpuName(), Runtime.getRuntime().availableProcessors(), Runtime.version());
        out.printf("native library: %s, ISAs supported: %s (best: %s), all: %s%n", NativeBackend.libraryVersion(),
                String.join(", ", NativeBackend.supportedIsas()), NativeBackend.bestIsa(), String.join(", ", NativeBackend.allIsas()));
        out.printf("vector API: %d-bit preferred (%d float lanes, %d byte lanes)%n", FloatVector.SPECIES_PREFERRED.vectorBitSize(),
                FloatVector.SPECIES_PREFERRED.length(), ByteVector.SPECIES_PREFERRED.length());
        try (Model m = model.load(System.err)) {
            out.println("== run");
            m.describe().forEach((k, v) -> out.printf("%s: %s%n", k, v));
            out.println("== memory (resident now, no session open)");
            m.memory().describe().forEach((k, v) -> out.printf("%s: %s%n", k, v));
            GgufFile g = m.gguf();
            out.println("== metadata");
            out.printf("gguf version %d, %d tensors, file %,d bytes%n", g.version(), g.tensors().size(), g.fileSize());
            for (Map.Entry<String, Object> e : g.metadata().entrySet()) out.printf("  %-45s %s%n", e.getKey(), summarize(e.getValue()));
            out.println("== tensors");
            if (allTensors) {
                for (GgufTensorInfo t : g.tensors())
                    out.printf("  %-28s %-5s %-16s %,14d bytes%n", t.name(), t.type(), Arrays.toString(t.shape()), t.byteSize());
            } else {
                var byType = new java.util.TreeMap<String, long[]>();
                for (GgufTensorInfo t : g.tensors()) {
                    long[] a = byType.computeIfAbsent(t.type().toString(), k -> new long[2]);
                    a[0]++;
                    a[1] += t.byteSize();
                }
                byType.forEach((type, a) -> out.printf("  %-5s %4d tensors %,16d bytes (%.1f MiB)%n", type, a[0], a[1], a[1] / 1048576.0));
                out.println("  (--tensors lists them all)");
            }
        }
        return 0;
    }

    static String summarize(Object v) {
        if (v instanceof List<?> l) {
            String head = l.stream().limit(5).map(String::valueOf).toList().toString();
            return "array[" + l.size() + "] " + (l.size() > 5 ? head.substring(0, head.length() - 1) + ", ...]" : head);
        }
        // f32 metadata arrives as Double: print it as the float it was (1e-5, not 9.999999747378752E-6)
        if (v instanceof Double d && (double) (float) (double) d == d) v = (float) (double) d;
        String s = String.valueOf(v).replace("\n", "\\n");
        return s.length() > 100 ? s.substring(0, 100) + "... (" + s.length() + " chars)" : s;
    }

    static String cpuName() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (Exception e) {
            return System.getProperty("os.arch");
        }
    }
}
