package io.sparkattention.spark;

import io.sparkattention.plan.AttentionPlan;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attention job's stages end to end: read the token table (and for cross-attention the context
 * table), validate it, plan and compute attention, write one row per input token atomically. Logs
 * one progress line per stage.
 */
public final class AttentionPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(AttentionPipeline.class);

  private AttentionPipeline() {}

  /** What a run did. */
  public record Outcome(long rowsWritten, AttentionPlan plan, int width, long maxLength) {}

  /**
   * Runs self-attention over the table at {@code input} and writes the result to {@code output}.
   *
   * @throws InputException for bad input or options, before anything is written
   */
  public static Outcome run(
      SparkSession spark,
      String input,
      String output,
      TableFormat format,
      boolean overwrite,
      AttentionSpec spec) {
    return run(spark, input, null, output, format, overwrite, spec);
  }

  /**
   * Runs attention of the table at {@code input} over {@code context} (null: self-attention) and
   * writes one row per input token to {@code output}.
   *
   * @throws InputException for bad input, context or options, before anything is written
   */
  public static Outcome run(
      SparkSession spark,
      String input,
      ContextTable context,
      String output,
      TableFormat format,
      boolean overwrite,
      AttentionSpec spec) {
    ProgressListener progress = new ProgressListener();
    spark.sparkContext().addSparkListener(progress);
    try {
      long start = System.nanoTime();
      ResultWriter.checkOutput(spark, output, overwrite);
      Dataset<Row> table = TokenTables.read(spark, input, format, "input");
      TokenColumns cols = TokenColumns.of(table.schema(), "x");
      InputValidator.ValidTable valid = InputValidator.validate(table, cols, "input");
      LOG.info(
          "validated {}: {} sequences, {} tokens, longest {}, width {} ({})",
          input,
          valid.seqIds().size(),
          valid.tokens(),
          valid.maxLength(),
          valid.width(),
          elapsed(start));
      DistributedAttention.Context keys = context == null ? null : readContext(spark, context);
      DistributedAttention.Result result =
          DistributedAttention.compute(spark, table, cols, valid, keys, spec);
      Broadcast<List<Object>> seqIds =
          JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(valid.seqIds());
      Dataset<Row> out = TokenTables.toTable(spark, result.tokens(), seqIds, cols, format, "out");
      long written = ResultWriter.write(spark, out, output, format, overwrite, valid.tokens());
      LOG.info("wrote {} rows to {} ({})", written, output, elapsed(start));
      return new Outcome(written, result.plan(), valid.width(), valid.maxLength());
    } finally {
      spark.sparkContext().removeSparkListener(progress);
    }
  }

  private static DistributedAttention.Context readContext(
      SparkSession spark, ContextTable context) {
    long start = System.nanoTime();
    Dataset<Row> table = TokenTables.read(spark, context.path(), context.format(), "context");
    TokenColumns cols = TokenColumns.of(table.schema(), "x", "context");
    InputValidator.ValidTable valid = InputValidator.validate(table, cols, "context");
    LOG.info(
        "validated context {}: {} sequences, {} tokens, longest {}, width {} ({})",
        context.path(),
        valid.seqIds().size(),
        valid.tokens(),
        valid.maxLength(),
        valid.width(),
        elapsed(start));
    return new DistributedAttention.Context(table, cols, valid);
  }

  static String elapsed(long startNanos) {
    return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
  }
}
