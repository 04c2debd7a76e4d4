package io.bitnet4j.cli;

import io.bitnet4j.model.ContextOverflowException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The bitnet4j command line: run BitNet b1.58 models, inspect them, measure them. */
@Command(name = "bitnet4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run 1.58-bit (ternary) BitNet b1.58 models on the CPU from Java.",
        subcommands = {GenerateCommand.class, ChatCommand.class, InfoCommand.class, LogitsCommand.class,
                TokenizeCommand.class, PerplexityCommand.class, BenchCommand.class, ServeCommand.class, BenchServeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** The version in the jar's manifest (Maven writes the project's one version there), "dev" when run from classes. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"bitnet4j " + version()};
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code: 0 ok, 1 error, 2 bad usage. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String message = switch (e) {
                case CliException c -> c.getMessage();
                case ContextOverflowException c -> c.getMessage();
                case IllegalArgumentException i -> i.getMessage();
                case UnsupportedOperationException u -> u.getMessage();
                case IOException io -> "I/O error: " + io.getMessage();
                case UncheckedIOException io -> "I/O error: " + io.getCause().getMessage();
                default -> null;
            };
            if (message == null) throw e;
            cmd.getErr().println("bitnet4j: " + message);
            return 1;
        });
        cli.setParameterExceptionHandler((e, badArgs) -> {
            var cmd = e.getCommandLine();
            cmd.getErr().println("bitnet4j: " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        return cli.execute(args);
    }
}
