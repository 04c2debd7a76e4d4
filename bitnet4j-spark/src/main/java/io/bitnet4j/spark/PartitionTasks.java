package io.bitnet4j.spark;

import io.bitnet4j.generation.Completion;
import io.bitnet4j.generation.GenerationListener;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.util.TaskCompletionListener;

/** What runs on the executors: serializable, holding only the model spec, the options and column indices. */
final class PartitionTasks {
    private PartitionTasks() {}

    /** generate over one partition: its rows go to the executor's batch generator. */
    record Generate(ExecutorModelSpec spec, GenerateOptions options, int promptIndex, int keyIndex)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            var generator = new PartitionGenerator(rows, promptIndex, keyIndex, ExecutorModel.of(spec), options);
            TaskContext task = TaskContext.get();
            if (task != null) task.addTaskCompletionListener((TaskCompletionListener) context -> generator.close());
            return generator;
        }
    }

    /** score over one partition, a row at a time (each row's work is one prefill and its candidates). */
    record Score(ExecutorModelSpec spec, int promptIndex, int candidatesIndex) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            var scorer = new PromptScorer(ExecutorModel.of(spec));
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Row next() {
                    Row row = rows.next();
                    String prompt = row.isNullAt(promptIndex) ? null : row.getString(promptIndex);
                    List<String> candidates = row.isNullAt(candidatesIndex) ? null : row.getList(candidatesIndex);
                    return PartitionGenerator.append(row, scorer.score(prompt, candidates).values());
                }
            };
        }
    }

    /**
     * The SQL function bitnet_generate(prompt). It sees one row at a time, but the calls of all the executor's
     * tasks meet in its batch generator and decode together.
     */
    record GenerateFunction(ExecutorModelSpec spec, GenerateOptions options) implements UDF1<String, Row> {
        @Override
        public Row call(String prompt) {
            ExecutorModel executor = ExecutorModel.of(spec);
            RowRequest request = RowRequest.of(executor, options, prompt, prompt);
            if (request.problem() != null) return RowFactory.create(RowCompletion.failed(request.problem()).values());
            try {
                Completion c = executor.generator(options.batchSize()).submit(request.request(), GenerationListener.NONE).completion().join();
                return RowFactory.create(RowCompletion.of(c).values());
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException cause && PartitionGenerator.isRowError(cause))
                    return RowFactory.create(RowCompletion.failed(cause.getMessage()).values());
                throw e;
            }
        }
    }

    /** The SQL function bitnet_score(prompt, candidates). */
    record ScoreFunction(ExecutorModelSpec spec) implements UDF2<String, scala.collection.Seq<String>, Row> {
        @Override
        public Row call(String prompt, scala.collection.Seq<String> candidates) {
            List<String> list = candidates == null ? null : scala.jdk.javaapi.CollectionConverters.asJava(candidates);
            return RowFactory.create(new PromptScorer(ExecutorModel.of(spec)).score(prompt, list).values());
        }
    }
}
