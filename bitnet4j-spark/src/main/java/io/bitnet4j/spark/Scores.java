package io.bitnet4j.spark;

import java.util.List;

/** One row's score result: a log-probability and a token count per candidate and the best candidate, or the error. */
record Scores(List<Double> logprobs, List<Integer> candidateTokens, String best, String error) {

    static Scores failed(String error) {
        return new Scores(null, null, null, error);
    }

    /** The values of {@link Columns#scored}, in order (arrays as Scala sequences, what Spark's Row encoder takes). */
    Object[] values() {
        return new Object[] {seq(logprobs), seq(candidateTokens), best, error};
    }

    private static Object seq(List<?> list) {
        return list == null ? null : scala.jdk.javaapi.CollectionConverters.asScala(list).toSeq();
    }
}
