/**
 * Token sampling: turning a logits vector into the next token.
 *
 * <p>{@link io.bitnet4j.sampling.SamplerChain} applies, in llama.cpp's default order, repetition / frequency /
 * presence penalties, top-k, top-p, min-p and temperature, then draws from the softmax with a seeded
 * {@link java.util.random.RandomGenerator}. It never sorts the whole vocabulary unless the distribution is so
 * flat that the nucleus itself is most of it, and it allocates nothing per token once its scratch is sized.
 *
 * <p>Typical decode loop ({@link io.bitnet4j.generation.Generator} runs it, with stop strings and text decoding):
 * <pre>{@code
 * Sampler sampler = SamplerChain.from(SamplingParams.defaults().withSeed(42), vocabSize);
 * for (int token : prompt) sampler.accept(token);
 * float[] logits = session.prefill(prompt);           // logits for the token after the prompt
 * while (...) {
 *     int next = sampler.sample(logits, vocabSize);   // may overwrite logits
 *     sampler.accept(next);
 *     logits = session.decode(next);
 * }
 * }</pre>
 */
package io.bitnet4j.sampling;
