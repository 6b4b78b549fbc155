package io.sparkattention.spark;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.attention.DistributedAttention;
import io.sparkattention.spark.attention.PyramidReduction;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.OutputTally;
import io.sparkattention.spark.io.ResultWriter;
import io.sparkattention.spark.io.TableFormat;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import io.sparkattention.spark.io.VectorType;
import io.sparkattention.spark.maps.AttentionMaps;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.metrics.ProgressListener;
import io.sparkattention.spark.validate.InputValidator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
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
final class AttentionPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(AttentionPipeline.class);

  /** The tables' vector column. */
  private static final String VECTOR = "x";

  private AttentionPipeline() {}

  /**
   * Runs {@code request}: reads and validates the input (and context), computes attention, writes
   * one row per input token (per top-level step with a pyramid) atomically, then the maps if asked
   * for: of the attended sequences, so with a pyramid of its top level.
   *
   * @throws InputException for bad input, context or options, before anything is written
   */
  static SparkAttention.Outcome run(SparkSession spark, AttentionRequest request) {
    AttentionSpec spec = request.spec();
    String input = request.input();
    String output = request.output();
    TableFormat format = request.format();
    boolean overwrite = request.overwrite();
    ContextTable context = request.context();
    AttentionMaps.Request maps = request.maps();
    ProgressListener progress = new ProgressListener();
    spark.sparkContext().addSparkListener(progress);
    try {
      long start = System.nanoTime();
      ResultWriter.checkApart(spark, output, input, context == null ? null : context.path());
      ResultWriter.checkOutput(spark, output, overwrite);
      if (maps != null) {
        ResultWriter.checkApart(spark, maps.path(), input, output);
        ResultWriter.checkOutput(spark, maps.path(), overwrite);
      }
      Dataset<Row> table =
          TokenTables.keep(
              TokenTables.read(spark, input, format, "input"),
              TokenColumns.SEQ_ID,
              TokenColumns.POS,
              VECTOR,
              spec.segmentColumn(),
              spec.globalColumn());
      TokenColumns cols = TokenColumns.of(table.schema(), VECTOR);
      // Positions only, the vectors checked as routing reads them, unless a pass before routing
      // reads them: a pyramid's reduction, local-p's centres.
      InputValidator.ValidTable valid =
          spec.pyramidLevels() > 0 || spec.isLocalP()
              ? InputValidator.validate(table, cols, "input")
              : InputValidator.validatePositions(table, cols, "input");
      LOG.info(
          "validated {}: {} sequences, {} tokens, longest {}, width {} ({})",
          input,
          valid.seqIds().size(),
          valid.tokens(),
          valid.maxLength(),
          valid.width(),
          elapsed(start));
      DistributedAttention.Context keys = context == null ? null : readContext(spark, context);
      Attended result =
          attend(
              spark,
              table,
              cols,
              valid,
              keys,
              spec,
              request.vectorType(),
              maps == null ? 0 : maps.maxLength());
      InputValidator.ValidTable attendedValid = result.valid();
      // One row per input token, counted on the rows' way to the writer (OutputTally).
      OutputTally tally = OutputTally.register(spark);
      Broadcast<long[]> lengths =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .broadcast(attendedValid.lengths());
      long written;
      try {
        written =
            ResultWriter.writeTokens(
                spark,
                result.out(tally.observe(result.attention().tokens(), lengths)),
                output,
                format,
                overwrite,
                () ->
                    tally.check(
                        result.attention().sequences().value(), attendedValid.lengths(), output));
      } finally {
        lengths.destroy();
      }
      LOG.info("wrote {} rows to {} ({})", written, output, elapsed(start));
      if (maps != null) {
        // The maps: one row per (token, head), the weights of every key.
        long rows = attendedValid.tokens() * spec.numHeads();
        Dataset<Row> m =
            AttentionMaps.compute(
                spark,
                result.table(),
                result.cols(),
                attendedValid,
                result.spec(),
                result.plan().sequenceMasks());
        ResultWriter.write(spark, m, maps.path(), format, overwrite, rows);
        LOG.info("wrote {} attention-map rows to {} ({})", rows, maps.path(), elapsed(start));
      }
      return new SparkAttention.Outcome(
          written, result.plan(), valid.width(), valid.maxLength(), result.pyramid());
    } finally {
      // The output paths' claims (locks), taken by checkOutput, held until the outputs are in
      // place.
      ResultWriter.release(spark, output);
      if (maps != null) {
        ResultWriter.release(spark, maps.path());
      }
      spark.sparkContext().removeSparkListener(progress);
    }
  }

  /**
   * Attention over a validated table, lazily: the distributed result, the input's columns and the
   * output's vector type (for the result table), the table attention runs over (the input, or the
   * pyramid's top level), its columns and validation, the pyramid's levels, and the spec attention
   * ran with (without the window if it was clipped).
   */
  record Attended(
      DistributedAttention.Result attention,
      TokenColumns inputCols,
      VectorType vectorType,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      List<PyramidReduction.Level> pyramid,
      AttentionSpec spec) {

    AttentionPlan plan() {
      return attention.plan();
    }

    /** The result table in the input's column types. */
    Dataset<Row> out() {
      return out(attention.tokens());
    }

    /** The result table of {@code tokens}: the result's, observed on their way to the writer. */
    Dataset<Row> out(JavaRDD<FinishedToken> tokens) {
      // seq_id and pos keep the input's types (top-level positions with a pyramid, whose
      // sequences are the input's).
      return TokenTables.toTable(
          table.sparkSession(), tokens, attention.sequences(), inputCols, vectorType, "out");
    }
  }

  /**
   * Builds attention over {@code table} (validated as {@code valid}) and {@code keys} (null:
   * self-attention): the pyramid first if the spec has one, then the window (dropped with a warning
   * if it covers every sequence and the spec allows {@link AttentionSpec#windowClip() clipping})
   * and maps length checks (mapsMaxLength 0: no maps), the plan, and the result table (lazy).
   *
   * @throws InputException for a window or weights that do not fit the data
   */
  static Attended attend(
      SparkSession spark,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      DistributedAttention.Context keys,
      AttentionSpec spec,
      VectorType vectorType,
      int mapsMaxLength) {
    Dataset<Row> attended = table;
    TokenColumns attendedCols = cols;
    InputValidator.ValidTable attendedValid = valid;
    List<PyramidReduction.Level> pyramid = List.of();
    int pyramidLevels = spec.pyramidLevels();
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
    if (keys == null && InputValidator.checkWindow(spec.mask(), attendedValid, spec.windowClip())) {
      spec = withoutWindow(spec, attendedValid);
    }
    if (mapsMaxLength > 0) {
      // the sequences attention runs over: the input's, or the pyramid's top level
      AttentionMaps.checkLengths(attendedValid, mapsMaxLength);
    }
    DistributedAttention.Result result =
        DistributedAttention.compute(spark, attended, attendedCols, attendedValid, keys, spec);
    return new Attended(
        result, cols, vectorType, attended, attendedCols, attendedValid, pyramid, spec);
  }

  /**
   * The spec without its window, which covers every sequence of {@code valid}: global attention (a
   * causal window: plain causal attention), the same result; logs one warning saying so.
   */
  private static AttentionSpec withoutWindow(AttentionSpec spec, InputValidator.ValidTable valid) {
    Mask mask = spec.mask();
    boolean causal = mask.kind() == Mask.Kind.CAUSAL_WINDOW;
    LOG.warn(
        "window clipped: the window {} covers all {} sequence(s) (the longest has {} tokens), so"
            + " they run {} attention, with the same result",
        mask.window(),
        valid.seqIds().size(),
        valid.maxLength(),
        causal ? "plain causal" : "global");
    return spec.toBuilder()
        .mask(mask.withoutWindow()) // keeping any global tokens
        .windowClip(false)
        .strategy(spec.strategy() == Strategy.WINDOW ? Strategy.AUTO : spec.strategy())
        .build();
  }

  private static DistributedAttention.Context readContext(
      SparkSession spark, ContextTable context) {
    long start = System.nanoTime();
    Dataset<Row> table =
        TokenTables.keep(
            TokenTables.read(spark, context.path(), context.format(), "context"),
            TokenColumns.SEQ_ID,
            TokenColumns.POS,
            VECTOR);
    DistributedAttention.Context keys = validateContext(table);
    LOG.info(
        "validated context {}: {} sequences, {} tokens, longest {}, width {} ({})",
        context.path(),
        keys.valid().seqIds().size(),
        keys.valid().tokens(),
        keys.valid().maxLength(),
        keys.valid().width(),
        elapsed(start));
    return keys;
  }

  /** Validates a context table, its errors naming "context". */
  static DistributedAttention.Context validateContext(Dataset<Row> table) {
    TokenColumns cols = TokenColumns.of(table.schema(), VECTOR, "context");
    InputValidator.ValidTable valid = InputValidator.validate(table, cols, "context");
    return new DistributedAttention.Context(table, cols, valid);
  }

  /** Weights and heads must fit the top level's width; says so in the pyramid's terms. */
  private static void checkPyramidWeights(
      AttentionSpec spec, int topWidth, int inputWidth, int levels) {
    try {
      spec.weights().validate(topWidth, topWidth, spec.numHeads(), spec.kvHeads());
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
