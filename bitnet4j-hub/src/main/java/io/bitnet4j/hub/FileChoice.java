package io.bitnet4j.hub;

import io.bitnet4j.hub.HubClient.RepoFile;
import io.bitnet4j.hub.HubException.Kind;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which GGUF file of a repository to use when none is named: the only one; else, with a tag ({@code REPO:i2_s}),
 * the only one whose name contains it; else the only I2_S one (the format bitnet4j runs). Otherwise the choice
 * is the user's, and the error lists the candidates.
 */
final class FileChoice {
    static final String PREFERRED_TYPE = "i2_s";
    private static final int LISTED = 12;

    private FileChoice() {}

    static String choose(String repo, List<RepoFile> files, String tag) throws HubException {
        List<RepoFile> ggufs = files.stream().filter(f -> isGguf(f.path())).toList();
        if (tag != null) {
            List<RepoFile> tagged = ggufs.stream().filter(f -> nameContains(f, tag)).toList();
            if (tagged.size() == 1) return tagged.getFirst().path();
            if (tagged.isEmpty())
                throw new HubException(Kind.FILE_NOT_FOUND, "no .gguf file of " + repo + " has '" + tag + "' in its name"
                        + (ggufs.isEmpty() ? "; it holds none (files: " + describe(files) + ")" : "; candidates: " + describe(ggufs)));
            throw ambiguous(repo, tagged);
        }
        if (ggufs.size() == 1) return ggufs.getFirst().path();
        if (ggufs.isEmpty())
            throw new HubException(Kind.FILE_NOT_FOUND, repo + " holds no .gguf file" + (files.isEmpty() ? "" : " (files: " + describe(files) + ")"));
        List<RepoFile> preferred = ggufs.stream().filter(f -> nameContains(f, PREFERRED_TYPE)).toList();
        if (preferred.size() == 1) return preferred.getFirst().path();
        throw ambiguous(repo, ggufs);
    }

    static boolean isGguf(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    private static boolean nameContains(RepoFile f, String tag) {
        String name = f.path().substring(f.path().lastIndexOf('/') + 1);
        return name.toLowerCase(Locale.ROOT).contains(tag.toLowerCase(Locale.ROOT));
    }

    private static HubException ambiguous(String repo, List<RepoFile> candidates) {
        return new HubException(Kind.AMBIGUOUS, repo + " holds " + candidates.size() + " .gguf files; name one as "
                + repo + ":FILE, e.g. " + repo + ":" + candidates.getFirst().path() + " (candidates: " + describe(candidates) + ")");
    }

    /** "a.gguf (1.19 GB), b.gguf (2.40 GB)", at most a dozen. */
    private static String describe(List<RepoFile> files) {
        String listed = files.stream().limit(LISTED)
                .map(f -> f.path() + (f.size() >= 0 ? " (" + Sizes.format(f.size()) + ")" : "")).collect(Collectors.joining(", "));
        return files.size() > LISTED ? listed + ", and " + (files.size() - LISTED) + " more" : listed;
    }
}
