package io.bitnet4j.cli;

import io.bitnet4j.hub.HubCache;
import io.bitnet4j.hub.HubOptions;
import io.bitnet4j.hub.Sizes;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "models", mixinStandardHelpOptions = true,
        description = {"List the GGUF models in the local Hugging Face cache: repository, file, size, revision and path.",
                "They load with -hf REPO[:FILE] (offline too: --offline). Partial downloads are listed as well; the next "
                        + "pull of the same file resumes them."})
final class ModelsCommand implements Callable<Integer> {

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        HubCache cache = new HubCache(HubOptions.fromEnvironment(HubArgs.environment).cacheDir());
        List<HubCache.CachedFile> all = cache.files();
        List<HubCache.CachedFile> models = all.stream().filter(f -> f.file().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")).toList();
        out.println("cache: " + cache.root());
        if (models.isEmpty()) {
            out.println("no GGUF models cached; download one with: bitnet4j pull microsoft/bitnet-b1.58-2B-4T-gguf");
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"REPOSITORY", "FILE", "SIZE", "REVISION"});
            for (HubCache.CachedFile f : models)
                rows.add(new String[] {f.repo(), f.file(), f.complete() ? Sizes.format(f.size()) : "missing", revision(f)});
            int[] width = new int[4];
            for (String[] r : rows) for (int i = 0; i < 4; i++) width[i] = Math.max(width[i], r[i].length());
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                out.printf("%-" + width[0] + "s  %-" + width[1] + "s  %" + width[2] + "s  %s%n", r[0], r[1], r[2], r[3]);
                if (i > 0) out.println("  " + models.get(i - 1).path());
            }
        }
        long others = all.size() - models.size();
        if (others > 0) out.println(others + " other cached file" + (others == 1 ? "" : "s") + " (not GGUF) not listed");
        List<HubCache.PartialDownload> partial = cache.partialDownloads();
        if (!partial.isEmpty()) {
            out.println("partial downloads (the next pull of the same file resumes them):");
            for (HubCache.PartialDownload p : partial) out.println("  " + p.repo() + "  " + Sizes.format(p.size()) + "  " + p.path());
        }
        return 0;
    }

    /** "main (2a1b3c4)", or the short commit alone when no ref points at it any more. */
    private static String revision(HubCache.CachedFile f) {
        String shortCommit = f.commit().substring(0, Math.min(7, f.commit().length()));
        return f.refs().isEmpty() ? shortCommit : String.join(", ", f.refs()) + " (" + shortCommit + ")";
    }
}
