/**
 * GGUF container I/O for BitNet b1.58 models (spec §1, §2.2).
 *
 * <p>Reading: {@link io.bitnet4j.gguf.GgufFile#open} maps the file read-only and validates the whole header
 * up front (magic, version 2/3, counts against the file size, string lengths, array counts, value and tensor
 * type ids, dimensions, alignment, offsets, overlaps, duplicates), so a damaged or hostile file fails there
 * with a {@link io.bitnet4j.gguf.GgufException} naming the field and byte offset. Tensor data is never copied:
 * {@link io.bitnet4j.gguf.GgufFile#data} returns a read-only slice of exactly the size the BitNet loader reads
 * (F32 4n, F16 2n, I2_S n/4 + 32).
 *
 * <pre>{@code
 * try (GgufFile g = GgufFile.open(path)) {
 *     String arch = g.getString("general.architecture");          // bitnet-b1.58 or bitnet-25
 *     int nEmbd = g.getInt(arch + ".embedding_length");            // any integer type, range-checked
 *     List<String> tokens = g.getStringArray("tokenizer.ggml.tokens");
 *     GgufTensorInfo q = g.tensor("blk.0.attn_q.weight");          // shape ne0 first: {K, M}
 *     MemorySegment packed = g.data(q).asSlice(0, q.elements() / 4);
 *     float scale = g.i2sScale(q);                                 // first float of the 32-byte tail
 * }
 * }</pre>
 *
 * <p>Writing: {@link io.bitnet4j.gguf.GgufWriter} collects metadata and tensor declarations and streams each
 * tensor's bytes from a callback, so multi-GB files need no heap for tensor data. {@link io.bitnet4j.gguf.I2S}
 * packs and unpacks the canonical 128/32 I2_S layout.
 */
package io.bitnet4j.gguf;
