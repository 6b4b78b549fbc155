package io.sparkattention.spark.attention;

import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.spark.io.TokenColumns;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;

/**
 * Local-p's first pass: the predicted centre of every token of one partition ({@link
 * AttentionWeights#localPCentre}: from the token's own vector and its sequence's length), folded
 * into one {@link LocalPCells} summary per partition. Nothing is shuffled; the driver merges the
 * partitions' summaries and plans from them.
 */
final class SummariseCentresFn implements FlatMapFunction<Iterator<Row>, LocalPCells> {
  private static final long serialVersionUID = 1L;

  private final TokenColumns cols;
  private final Broadcast<SequenceIndex> seqIndex;
  private final Broadcast<AttentionWeights> weights;
  private final long[] lengths;
  private final int halfWidth;
  private final int blockSize;
  private final long chunkRows;

  SummariseCentresFn(
      TokenColumns cols,
      Broadcast<SequenceIndex> seqIndex,
      Broadcast<AttentionWeights> weights,
      long[] lengths,
      int halfWidth,
      int blockSize,
      long chunkRows) {
    this.cols = cols;
    this.seqIndex = seqIndex;
    this.weights = weights;
    this.lengths = lengths;
    this.halfWidth = halfWidth;
    this.blockSize = blockSize;
    this.chunkRows = chunkRows;
  }

  @Override
  public Iterator<LocalPCells> call(Iterator<Row> rows) {
    LocalPCells cells = new LocalPCells(lengths, halfWidth, blockSize, chunkRows);
    SequenceIndex index = seqIndex.value();
    AttentionWeights w = weights.value();
    while (rows.hasNext()) {
      Row row = rows.next();
      int s = index.require(cols.seqId(row));
      cells.add(s, cols.pos(row), w.localPCentre(cols.vector(row), lengths[s]));
    }
    return List.of(cells).iterator();
  }
}
