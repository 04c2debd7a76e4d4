package io.bitnet4j.cli;

import io.bitnet4j.hub.ModelSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download a model from the Hugging Face Hub into the local cache and print its path.",
                "The cache is huggingface_hub's ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), shared "
                        + "with the Python tools and llama.cpp. An interrupted download resumes; the file's SHA-256 is checked "
                        + "before it is used; nothing is downloaded when the cache holds a valid copy.",
                "Environment: HF_TOKEN (gated or private repositories), HF_ENDPOINT (a mirror), HF_HUB_OFFLINE=1."})
final class PullCommand implements Callable<Integer> {
    @Parameters(paramLabel = "REPO[:FILE]", description = "e.g. microsoft/bitnet-b1.58-2B-4T-gguf (FILE: a file of the repository, "
            + "or part of its name such as i2_s; default: its GGUF file)")
    String spec;

    @Mixin HubArgs hub;

    @Override
    public Integer call() {
        System.out.println(hub.fetch(ModelSource.parse(spec), System.err).path());
        return 0;
    }
}
