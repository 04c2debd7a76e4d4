package io.bitnet4j.spark;

import io.bitnet4j.generation.BatchGenerator;
import io.bitnet4j.generation.Completion;
import io.bitnet4j.generation.Generation;
import io.bitnet4j.generation.GenerationListener;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The rows of one partition with their completion columns appended, in input order. Rows go to the executor's
 * {@link BatchGenerator}, at most a batch of them unfinished at a time, so that the batch stays full while
 * the partition has rows, together with the other tasks' rows; a partition is never held in memory (at most the
 * unfinished rows plus the finished ones waiting for an earlier, longer one).
 */
final class PartitionGenerator implements Iterator<Row>, AutoCloseable {

    /** An input row, its generation while it runs, and its result once done. */
    private static final class Slot {
        final Row input;
        Generation generation;
        volatile RowCompletion result;   // set by the generator's thread, or here for a row that could not start
        volatile RuntimeException failure; // the generator failed (not the row): the task fails

        Slot(Row input) {
            this.input = input;
        }

        boolean done() {
            return result != null || failure != null;
        }
    }

    private final Iterator<Row> input;
    private final int promptIndex, keyIndex;
    private final ExecutorModel executor;
    private final GenerateOptions options;
    private final BatchGenerator generator;
    private final ArrayDeque<Slot> order = new ArrayDeque<>();
    private final LinkedBlockingQueue<Slot> finished = new LinkedBlockingQueue<>(); // one entry per submitted row
    private int unfinished; // submitted rows whose finished entry was not taken yet

    /** keyIndex is the key column's index, or -1 to key rows by their prompt. */
    PartitionGenerator(Iterator<Row> input, int promptIndex, int keyIndex, ExecutorModel executor, GenerateOptions options) {
        this.input = input;
        this.promptIndex = promptIndex;
        this.keyIndex = keyIndex;
        this.executor = executor;
        this.options = options;
        this.generator = executor.generator(options.batchSize());
    }

    @Override
    public boolean hasNext() {
        return !order.isEmpty() || input.hasNext();
    }

    @Override
    public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        while (order.isEmpty() || !order.peekFirst().done()) {
            if (unfinished < options.batchSize() && input.hasNext()) submit(input.next());
            else awaitOne(); // the first row is still running, so something will finish
        }
        Slot done = order.pollFirst();
        if (done.failure != null) throw done.failure;
        return append(done.input, done.result.values());
    }

    private void submit(Row row) {
        Slot slot = new Slot(row);
        order.addLast(slot);
        String prompt = row.isNullAt(promptIndex) ? null : row.getString(promptIndex);
        String key = keyIndex < 0 || row.isNullAt(keyIndex) ? prompt : String.valueOf(row.get(keyIndex));
        RowRequest request = RowRequest.of(executor, options, prompt, key);
        if (request.problem() != null) {
            slot.result = RowCompletion.failed(request.problem());
            return;
        }
        slot.generation = generator.submit(request.request(), new GenerationListener() {
            @Override
            public void onComplete(Completion c) {
                slot.result = RowCompletion.of(c);
                finished.add(slot);
            }

            @Override
            public void onError(RuntimeException e) {
                if (isRowError(e)) slot.result = RowCompletion.failed(e.getMessage());
                else slot.failure = e;
                finished.add(slot);
            }
        });
        unfinished++;
    }

    /** A failure of this row alone (e.g. its sampler found no usable logit), not of the generator. */
    static boolean isRowError(RuntimeException e) {
        return e instanceof IllegalArgumentException;
    }

    private void awaitOne() {
        try {
            finished.take();
            unfinished--;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bitnet4j-spark: interrupted while rows were generating (task killed?)", e);
        }
    }

    /** The row's values followed by extra. */
    static Row append(Row row, Object[] extra) {
        Object[] values = new Object[row.length() + extra.length];
        for (int i = 0; i < row.length(); i++) values[i] = row.get(i);
        System.arraycopy(extra, 0, values, row.length(), extra.length);
        return RowFactory.create(values);
    }

    /** The task ended (also early: failed or killed): rows still running leave the generator. */
    @Override
    public void close() {
        for (Slot slot : order) if (slot.generation != null && !slot.done()) slot.generation.cancel();
    }
}
