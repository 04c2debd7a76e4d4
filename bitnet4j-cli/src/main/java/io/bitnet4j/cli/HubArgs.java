package io.bitnet4j.cli;

import io.bitnet4j.hub.HubException;
import io.bitnet4j.hub.HubOptions;
import io.bitnet4j.hub.ModelSource;
import java.io.PrintStream;
import java.util.Map;
import picocli.CommandLine.Option;

/** How the Hugging Face Hub is reached: a token and offline mode; the rest comes from the HF_* variables. */
final class HubArgs {
    /** Where the HF_* settings come from: the process's environment (tests substitute their own). */
    static Map<String, String> environment = System.getenv();

    @Option(names = "--hf-token", paramLabel = "TOKEN",
            description = "Hugging Face access token, for gated or private repositories (default: $HF_TOKEN, else the token 'hf auth login' saved)")
    String token;

    @Option(names = "--offline", description = "use only the local Hugging Face cache, never the network (also: HF_HUB_OFFLINE=1)")
    boolean offline;

    /** The model's local file, downloaded with a progress bar on {@code err} when the cache lacks it. */
    ModelSource.Resolved fetch(ModelSource source, PrintStream err) {
        HubOptions options = HubOptions.fromEnvironment(environment);
        if (token != null) options = options.withToken(token);
        if (offline) options = options.withOffline(true);
        DownloadProgress progress = new DownloadProgress(err);
        try {
            ModelSource.Resolved resolved = source.fetch(options.withProgress(progress));
            progress.finish(resolved);
            return resolved;
        } catch (HubException e) {
            progress.fail();
            boolean tokenWouldHelp = e.kind() == HubException.Kind.UNAUTHORIZED || e.kind() == HubException.Kind.REPO_NOT_FOUND;
            throw new CliException(e.getMessage() + (tokenWouldHelp && options.token() == null ? ", or pass --hf-token TOKEN" : ""));
        }
    }
}
