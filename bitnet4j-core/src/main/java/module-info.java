/**
 * bitnet4j: BitNet b1.58 (ternary) language models on the CPU.
 *
 * <p>Start with {@link io.bitnet4j.model.Model} (load a GGUF file, open sessions) and
 * {@link io.bitnet4j.generation.Generator} (text in, text out). The kernels ({@code io.bitnet4j.kernels}: the
 * native library through JavaCPP, the Vector API and scalar Java) and utilities are internal.
 */
module io.bitnet4j {
    requires transitive jdk.incubator.vector;
    requires org.bytedeco.javacpp;
    requires java.management; // Model.memory(): the committed heap
    // Optional: only Tokenizer.fromHfTokenizerJson reads JSON, and says so when Jackson is absent.
    requires static com.fasterxml.jackson.databind;
    // Optional: attention through OpenBLAS sgemm (AttentionKernel); without it attention runs in Java and says why.
    requires static org.bytedeco.openblas;

    exports io.bitnet4j;
    exports io.bitnet4j.gguf;
    exports io.bitnet4j.model;
    exports io.bitnet4j.tokenizer;
    exports io.bitnet4j.sampling;
    exports io.bitnet4j.generation;
    exports io.bitnet4j.synthetic;
    // JavaCPP's generated JNI code and Loader reach the binding class reflectively.
    opens io.bitnet4j.kernels to org.bytedeco.javacpp;
}
