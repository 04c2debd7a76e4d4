package io.bitnet4j.spark;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The rows of one partition with their completion columns appended, in input order. Rows are read only as the
 * batch has room, so a partition is never held in memory: at most the batch plus the finished rows waiting
 * for an earlier, longer one.
 */
final class PartitionGenerator implements Iterator<Row>, AutoCloseable {

    /** An input row and, once done, its completion. */
    private static final class Slot {
        final Row input;
        Completion result;

        Slot(Row input) {
            this.input = input;
        }
    }

    private final Iterator<Row> input;
    private final int promptIndex, keyIndex;
    private final ArrayDeque<Slot> order = new ArrayDeque<>();
    private final ContinuousBatch<Slot> batch;

    /** keyIndex is the key column's index, or -1 to key rows by their prompt. */
    PartitionGenerator(Iterator<Row> input, int promptIndex, int keyIndex, ExecutorModel executor, GenerateOptions options) {
        this.input = input;
        this.promptIndex = promptIndex;
        this.keyIndex = keyIndex;
        this.batch = new ContinuousBatch<>(executor, options, (slot, completion) -> slot.result = completion);
    }

    @Override
    public boolean hasNext() {
        boolean more = !order.isEmpty() || input.hasNext();
        if (!more) batch.close();
        return more;
    }

    @Override
    public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        while (order.isEmpty() || order.peekFirst().result == null) {
            if (batch.hasRoom() && input.hasNext()) start(input.next());
            else batch.step(); // the first row is still decoding, so the batch is not empty
        }
        Slot done = order.pollFirst();
        return append(done.input, done.result.values());
    }

    private void start(Row row) {
        Slot slot = new Slot(row);
        order.addLast(slot);
        String prompt = row.isNullAt(promptIndex) ? null : row.getString(promptIndex);
        String key = keyIndex < 0 || row.isNullAt(keyIndex) ? prompt : String.valueOf(row.get(keyIndex));
        batch.start(slot, prompt, key);
    }

    /** The row's values followed by extra. */
    static Row append(Row row, Object[] extra) {
        Object[] values = new Object[row.length() + extra.length];
        for (int i = 0; i < row.length(); i++) values[i] = row.get(i);
        System.arraycopy(extra, 0, values, row.length(), extra.length);
        return RowFactory.create(values);
    }

    /** Ends early (the task stopped): gives the sessions back. */
    @Override
    public void close() {
        batch.close();
    }
}
