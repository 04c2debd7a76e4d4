package io.bitnet4j.gguf;

import io.bitnet4j.SharedFiles;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The shared parity fixtures are real files in the official layout; the reader must open them as such. */
class ParityFilesTest {
    @Test
    void paIsBitnetB158() throws Exception {
        var f = SharedFiles.parity("pa.gguf");
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals(Files.size(f), g.fileSize());
            OfficialLayout.check(g, new OfficialLayout.Dims("bitnet-b1.58", 512, 256, 2, 4, 1, 768));
            assertEquals(24, g.tensors().size());
            assertEquals(24, g.metadata().size());
            assertEquals(1e-5f, g.getFloat("bitnet-b1.58.attention.layer_norm_rms_epsilon"));
            assertEquals(500000f, g.getFloat("bitnet-b1.58.rope.freq_base"));
            assertEquals(256 * 256 / 4 + 32, g.tensor("blk.0.attn_q.weight").byteSize());
            assertEquals(768 * 256 / 4 + 32, g.tensor("blk.1.ffn_down.weight").byteSize());
        }
    }

    @Test
    void pdIsBitnet25() throws Exception {
        var f = SharedFiles.parity("pd.gguf");
        try (GgufFile g = GgufFile.open(f)) {
            OfficialLayout.check(g, new OfficialLayout.Dims("bitnet-25", 768, 512, 2, 4, 1, 1280));
            assertEquals(128, g.getInt("bitnet-25.rope.dimension_count"));
        }
    }
}
