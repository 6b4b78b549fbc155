package io.sparkattention.spark.attention;

import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.SequenceMasks;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.validate.GlobalValidator;
import io.sparkattention.spark.validate.InputValidator;
import io.sparkattention.spark.validate.SegmentValidator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plans of self-attention whose mask a column of the table shapes: packed documents ({@code
 * --segment-col}), global tokens ({@code --global-col}) or both, gathered by a validation pass over
 * the table first.
 */
final class ColumnPlans {
  private static final Logger LOG = LoggerFactory.getLogger(ColumnPlans.class);

  private ColumnPlans() {}

  /**
   * The plan of self-attention within the segments of column {@code segmentColumn} (packed
   * documents; null: none) and with the global tokens of boolean column {@code globalColumn} (null:
   * none), at least one of them set. With both, each validation pass runs as it does alone and a
   * global token sees and is seen within its own segment.
   */
  static AttentionPlan of(
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      String segmentColumn,
      String globalColumn,
      AttentionSpec spec,
      Strategy strategy) {
    long[][] starts =
        segmentColumn == null ? null : segmentStarts(table, cols, valid, segmentColumn);
    long[][] positions =
        globalColumn == null
            ? null
            : GlobalValidator.globalPositions(table, cols, globalColumn, valid);
    return starts == null && positions == null
        ? AttentionPlan.create(valid.lengths(), DistributedAttention.planOptions(spec, strategy))
        : AttentionPlan.create(
            valid.lengths(),
            SequenceMasks.of(starts, positions),
            DistributedAttention.planOptions(spec, strategy));
  }

  /** The segments' starts of column {@code column} (null: one segment per sequence), logged. */
  private static long[][] segmentStarts(
      Dataset<Row> table, TokenColumns cols, InputValidator.ValidTable valid, String column) {
    long start = System.nanoTime();
    long[][] starts = SegmentValidator.segmentStarts(table, cols, column, valid);
    int segmented = 0;
    long segments = valid.seqIds().size();
    if (starts != null) {
      for (long[] st : starts) {
        segmented += st == null ? 0 : 1;
        segments += st == null ? 0 : st.length - 1;
      }
    }
    LOG.info(
        "segments of {}: {} in {} sequences, {} of which hold more than one ({})",
        column,
        segments,
        valid.seqIds().size(),
        segmented,
        Elapsed.since(start));
    return starts;
  }
}
