package io.sparkattention.spark;

import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.spark.attention.DistributedAttention;
import io.sparkattention.spark.attention.PyramidReduction;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.ResultWriter;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import io.sparkattention.spark.maps.AttentionMaps;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.metrics.ProgressListener;
import io.sparkattention.spark.validate.InputValidator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attention job's stages end to end: read the token table (and for cross-attention the context
 * table), validate it, plan and compute attention, write one row per input token atomically, and
 * optionally the attention maps ({@link AttentionMaps}). Logs one progress line per stage.
 */
public final class AttentionPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(AttentionPipeline.class);

  private AttentionPipeline() {}

  /**
   * What a run did.
   *
   * @param width the input's vector width
   * @param maxLength the input's longest sequence
   * @param pyramid with a pyramidal encoder, its levels from the input (0) to the top, whose steps
   *     attention ran over and which the rows written are; otherwise empty
   */
  public record Outcome(
      long rowsWritten,
      AttentionPlan plan,
      int width,
      long maxLength,
      List<PyramidReduction.Level> pyramid) {}

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
    return run(spark, input, null, output, format, overwrite, spec, 0);
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
    return run(spark, input, context, output, format, overwrite, spec, 0);
  }

  /**
   * As {@link #run(SparkSession, String, ContextTable, String, TableFormat, boolean,
   * AttentionSpec)}, with a pyramidal encoder of {@code pyramidLevels} levels before self-attention
   * ({@link PyramidReduction}; 0 for none): then attention runs over the top level's steps (width
   * 2^L·d, which the weights must fit) and one row is written per top-level step, {@code pos} its
   * top-level position.
   *
   * @throws InputException for bad input, context or options (a pyramid with a context among them),
   *     before anything is written
   */
  public static Outcome run(
      SparkSession spark,
      String input,
      ContextTable context,
      String output,
      TableFormat format,
      boolean overwrite,
      AttentionSpec spec,
      int pyramidLevels) {
    return run(spark, input, context, output, format, overwrite, spec, pyramidLevels, null);
  }

  /**
   * As {@link #run(SparkSession, String, ContextTable, String, TableFormat, boolean, AttentionSpec,
   * int)}, and writes the attention maps as {@code maps} asks (null: none; softmax self-attention
   * only) once the output is written: of the attended sequences, so with a pyramid of its top
   * level.
   *
   * @throws InputException also for a sequence longer than the maps' limit, or a maps path that
   *     exists (without {@code overwrite}) or equals the output, before attention is computed
   */
  public static Outcome run(
      SparkSession spark,
      String input,
      ContextTable context,
      String output,
      TableFormat format,
      boolean overwrite,
      AttentionSpec spec,
      int pyramidLevels,
      AttentionMaps.Request maps) {
    PyramidReduction.checkLevels(pyramidLevels);
    if (pyramidLevels > 0 && context != null) {
      throw new InputException(
          "--pyramid-levels applies to self-attention, not cross attention (the context would"
              + " stay at the input's width)");
    }
    if (maps != null && (context != null || spec.selection().isHard())) {
      throw new InputException(
          "--emit-weights applies to softmax self-attention (global, local, causal, local-p)");
    }
    ProgressListener progress = new ProgressListener();
    spark.sparkContext().addSparkListener(progress);
    try {
      long start = System.nanoTime();
      ResultWriter.checkOutput(spark, output, overwrite);
      if (maps != null) {
        if (new Path(maps.path()).equals(new Path(output))) {
          throw new InputException("--emit-weights must differ from --output (" + output + ")");
        }
        ResultWriter.checkOutput(spark, maps.path(), overwrite);
      }
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
      Dataset<Row> attended = table;
      TokenColumns attendedCols = cols;
      InputValidator.ValidTable attendedValid = valid;
      List<PyramidReduction.Level> pyramid = List.of();
      if (pyramidLevels > 0) {
        PyramidReduction.Reduced reduced =
            PyramidReduction.reduce(spark, table, cols, valid, pyramidLevels);
        checkPyramidWeights(spec, reduced.valid().width(), valid.width(), pyramidLevels);
        for (PyramidReduction.Level level : reduced.levels()) {
          LOG.info("{}", level.describe());
        }
        attended = reduced.table();
        attendedCols = reduced.cols();
        attendedValid = reduced.valid();
        pyramid = reduced.levels();
      }
      if (context == null) {
        InputValidator.checkWindow(spec.mask(), attendedValid);
      }
      DistributedAttention.Context keys = context == null ? null : readContext(spark, context);
      if (maps != null) {
        // the sequences attention runs over: the input's, or the pyramid's top level
        AttentionMaps.checkLengths(attendedValid, maps.maxLength());
      }
      DistributedAttention.Result result =
          DistributedAttention.compute(spark, attended, attendedCols, attendedValid, keys, spec);
      Broadcast<List<Object>> seqIds =
          JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(valid.seqIds());
      // The input's columns: seq_id and pos keep the input's types (top-level positions with a
      // pyramid).
      Dataset<Row> out = TokenTables.toTable(spark, result.tokens(), seqIds, cols, format, "out");
      long written =
          ResultWriter.writeTokens(
              spark,
              out,
              output,
              format,
              overwrite,
              attendedValid.seqIds(),
              attendedValid.lengths());
      LOG.info("wrote {} rows to {} ({})", written, output, elapsed(start));
      if (maps != null) {
        // The maps: one row per (token, head), the weights of every key.
        long rows = attendedValid.tokens() * spec.numHeads();
        Dataset<Row> m = AttentionMaps.compute(spark, attended, attendedCols, attendedValid, spec);
        ResultWriter.write(spark, m, maps.path(), format, overwrite, rows);
        LOG.info("wrote {} attention-map rows to {} ({})", rows, maps.path(), elapsed(start));
      }
      return new Outcome(written, result.plan(), valid.width(), valid.maxLength(), pyramid);
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

  /** Weights and heads must fit the top level's width; says so in the pyramid's terms. */
  private static void checkPyramidWeights(
      AttentionSpec spec, int topWidth, int inputWidth, int levels) {
    try {
      spec.weights().validate(topWidth, topWidth, spec.numHeads());
    } catch (IllegalArgumentException e) {
      throw new InputException(
          "weights/heads do not fit the pyramid's top-level vectors of width "
              + topWidth
              + " (--pyramid-levels "
              + levels
              + " over width "
              + inputWidth
              + ": 2^"
              + levels
              + " × "
              + inputWidth
              + "): "
              + e.getMessage(),
          e);
    }
  }

  private static String elapsed(long startNanos) {
    return Elapsed.since(startNanos);
  }
}
