package io.bitnet4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's common request parameters plus the sampling settings bitnet4j has beyond them: a {@code seed}
 * (same seed, same request: same reply), {@code minP} and {@code repeatPenalty} (llama.cpp meanings). Use it as
 * a chat model's {@code defaultRequestParameters} or in a {@code ChatRequest}; plain
 * {@link ChatRequestParameters} work too and leave these unset.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .messages(UserMessage.from("In the beginning"))
 *         .parameters(BitNetChatRequestParameters.builder().temperature(0.8).seed(42L).build())
 *         .build();
 * }</pre>
 */
public final class BitNetChatRequestParameters extends DefaultChatRequestParameters {

    private final Long seed;
    private final Double minP;
    private final Double repeatPenalty;

    private BitNetChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repeatPenalty = builder.repeatPenalty;
    }

    /** The random seed, or null for a fresh one per request. */
    public Long seed() {
        return seed;
    }

    /** Drop tokens below minP times the top probability (0 = off), or null for the default. */
    public Double minP() {
        return minP;
    }

    /** Penalty for the last 64 tokens (1 = off), or null for the default. */
    public Double repeatPenalty() {
        return repeatPenalty;
    }

    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BitNetChatRequestParameters that && super.equals(that) && Objects.equals(seed, that.seed)
                && Objects.equals(minP, that.minP) && Objects.equals(repeatPenalty, that.repeatPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repeatPenalty);
    }

    @Override
    public String toString() {
        String common = super.toString(); // DefaultChatRequestParameters{...}
        return "BitNetChatRequestParameters" + common.substring(common.indexOf('{'), common.length() - 1)
                + ", seed=" + seed + ", minP=" + minP + ", repeatPenalty=" + repeatPenalty + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;
        private Double minP;
        private Double repeatPenalty;

        private Builder() {}

        /**
         * Takes every value {@code parameters} sets. Parameters of another provider's type are refused: their own
         * settings (an OpenAI seed, say) would be dropped without a word.
         */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) return this;
            ReplySettings.checkParameterType(parameters);
            super.overrideWith(parameters);
            if (parameters instanceof BitNetChatRequestParameters p) {
                if (p.seed != null) seed = p.seed;
                if (p.minP != null) minP = p.minP;
                if (p.repeatPenalty != null) repeatPenalty = p.repeatPenalty;
            }
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repeatPenalty(Double repeatPenalty) {
            this.repeatPenalty = repeatPenalty;
            return this;
        }

        @Override
        public BitNetChatRequestParameters build() {
            return new BitNetChatRequestParameters(this);
        }
    }
}
