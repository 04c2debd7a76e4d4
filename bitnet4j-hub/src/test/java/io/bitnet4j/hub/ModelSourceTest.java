package io.bitnet4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What REPO[:FILE] means, and which settings the environment gives, as huggingface_hub reads them. */
class ModelSourceTest {

    @Test
    void parsesRepoFileAndTag() {
        ModelSource s = ModelSource.parse("microsoft/bitnet-b1.58-2B-4T-gguf");
        assertEquals("microsoft/bitnet-b1.58-2B-4T-gguf", s.repo());
        assertNull(s.file());
        assertEquals("main", s.revision());
        assertFalse(s.namesFile());

        s = ModelSource.parse("microsoft/bitnet-b1.58-2B-4T-gguf:ggml-model-i2_s.gguf");
        assertEquals("ggml-model-i2_s.gguf", s.file());
        assertTrue(s.namesFile());
        assertEquals("microsoft/bitnet-b1.58-2B-4T-gguf:ggml-model-i2_s.gguf", s.toString());

        s = ModelSource.parse("org/name:i2_s");
        assertEquals("i2_s", s.file());
        assertFalse(s.namesFile(), "no dot: a tag");
        assertEquals("sub/dir/model.gguf", ModelSource.parse("org/name:sub/dir/model.gguf").file());
        assertEquals("gpt2", ModelSource.parse("gpt2").repo(), "legacy ids have no organisation");
    }

    @Test
    void rejectsWhatCouldEscapeTheCache() {
        for (String bad : new String[] {"", "org/", "/name", "org/name/extra", "../etc", "org/..", "org/na me", "org/name:../x.gguf",
                "org/name:/abs.gguf", "org/name:a//b.gguf", "org/name:a\\b.gguf"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ModelSource.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("not a"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ModelSource.huggingFace("org/name").withRevision("../../x"));
    }

    @Test
    void theEnvironmentNamesCacheTokenEndpointAndOfflineMode(@TempDir Path home) throws Exception {
        HubOptions d = HubOptions.fromEnvironment(Map.of(), home);
        assertEquals(home.resolve(".cache/huggingface/hub"), d.cacheDir());
        assertEquals(HubOptions.DEFAULT_ENDPOINT, d.endpoint());
        assertNull(d.token());
        assertFalse(d.offline());

        assertEquals(Path.of("/x/huggingface/hub"), HubOptions.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), home).cacheDir());
        assertEquals(Path.of("/hf/hub"), HubOptions.fromEnvironment(Map.of("HF_HOME", "/hf", "XDG_CACHE_HOME", "/x"), home).cacheDir());
        assertEquals(Path.of("/c"), HubOptions.fromEnvironment(Map.of("HF_HOME", "/hf", "HF_HUB_CACHE", "/c"), home).cacheDir());
        assertEquals(URI.create("http://mirror.example:8080"),
                HubOptions.fromEnvironment(Map.of("HF_ENDPOINT", "http://mirror.example:8080/"), home).endpoint());
        for (String on : new String[] {"1", "ON", "yes", "True"})
            assertTrue(HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", on), home).offline(), on);
        assertFalse(HubOptions.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0"), home).offline());

        // the token hf auth login saved, unless HF_TOKEN says otherwise
        Path hfHome = home.resolve(".cache/huggingface");
        Files.createDirectories(hfHome);
        Files.writeString(hfHome.resolve("token"), "hf_saved\n");
        assertEquals("hf_saved", HubOptions.fromEnvironment(Map.of(), home).token());
        assertEquals("hf_env", HubOptions.fromEnvironment(Map.of("HF_TOKEN", "hf_env"), home).token());
        HubOptions withToken = HubOptions.fromEnvironment(Map.of("HF_TOKEN", "hf_env"), home);
        assertFalse(withToken.toString().contains("hf_env"), withToken.toString());
    }
}
