package io.bitnet4j.kernels;

/**
 * A ternary weight matrix in the layout one ternary kernel reads: the file's I2_S ({@link TernaryMatrix}), or a
 * lookup-table copy repacked at load ({@link LutMatrix} for the native TL1/TL2 kernels, {@link VectorLutMatrix}
 * for the Vector API's). {@link Kernels#prepare} makes them and {@link Kernels#ternaryGemm} reads them, so the
 * backend that chose the layout is the one place that knows it.
 */
public sealed interface TernaryWeights permits TernaryMatrix, LutMatrix, VectorLutMatrix {
    /** M, the output dimension. */
    int rows();

    /** K, the input dimension. */
    int cols();

    /** The tensor's float scale (weight value = scale * ternary). */
    float scale();

    /** Bytes a product with all rows reads: what one decoded token streams from memory for this matrix. */
    long byteSize();
}
