package io.bitnet4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The bitnet4j command line: run BitNet b1.58 models, inspect them, measure them. */
@Command(name = "bitnet4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run 1.58-bit (ternary) BitNet b1.58 models on the CPU from Java.",
        subcommands = {
                GenerateCommand.class,
                ChatCommand.class,
                InfoCommand.class,
                LogitsCommand.class,
                TokenizeCommand.class,
                DetokenizeCommand.class,
                PerplexityCommand.class,
                BenchCommand.class,
                MakeModelCommand.class,
                ServeCommand.class,
                BenchServeCommand.class,
                PullCommand.class,
                ModelsCommand.class,
                CommandLine.HelpCommand.class,
        })
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

    /**
     * Runs the CLI and returns its exit code: 0 ok, 1 a failure while running, 2 a command line that cannot run.
     * Either way the reason is one line on stderr ("bitnet4j: ..."); BITNET4J_DEBUG=1 adds the stack trace.
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (System.getenv("BITNET4J_DEBUG") != null) e.printStackTrace(cmd.getErr());
            if (e instanceof UsageException) {
                cmd.getErr().println("bitnet4j: " + e.getMessage() + seeHelp(cmd));
                return 2;
            }
            cmd.getErr().println("bitnet4j: " + failure(e));
            return 1;
        });
        cli.setParameterExceptionHandler((e, badArgs) -> {
            var cmd = e.getCommandLine();
            cmd.getErr().println("bitnet4j: " + e.getMessage() + seeHelp(cmd));
            return 2;
        });
        return cli.execute(args);
    }

    private static String seeHelp(CommandLine cmd) {
        return " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
    }

    /** The one line that explains a failure: the message of errors we raise, the type of anything unexpected. */
    static String failure(Exception e) {
        return switch (e) {
            case CliException c -> c.getMessage();
            case IOException io -> "I/O error: " + io.getMessage();
            case UncheckedIOException io -> "I/O error: " + io.getCause().getMessage();
            case RuntimeException r when r.getMessage() != null && !(r instanceof NullPointerException) -> r.getMessage();
            default -> "internal error: " + e + " (BITNET4J_DEBUG=1 shows where)";
        };
    }
}
