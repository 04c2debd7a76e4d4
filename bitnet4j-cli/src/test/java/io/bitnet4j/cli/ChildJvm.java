package io.bitnet4j.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** The command line of a separate JVM running this test's classes, as the launcher runs the CLI. */
final class ChildJvm {
    private ChildJvm() {}

    /** java + the project's JVM flags + the class path (entries kept by {@code keep}) + main class + arguments. */
    static List<String> command(Predicate<String> keep, String mainClass, String... args) {
        String classPath = String.join(File.pathSeparator,
                Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).filter(keep).toList());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp", classPath, mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
