package io.sparkattention.spark;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.StrategyChooser;
import io.sparkattention.spark.attention.DistributedAttention;
import io.sparkattention.spark.attention.PyramidReduction;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.VectorType;
import io.sparkattention.spark.pooling.HierarchicalPipeline;
import io.sparkattention.spark.validate.InputValidator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The library's entry points: exact attention over token tables from a Spark application, without
 * the command line. The jobs, the Spark ML {@code AttentionTransformer} and the tests go through
 * here.
 *
 * <p>A token table has one row per token: {@code seq_id} (string or integer), {@code pos} (0 … n−1
 * within its sequence) and {@code x} (an ML vector or an array of doubles). Every call validates
 * its tables first (one pass each) and throws {@link InputException} naming the row at fault.
 *
 * <pre>{@code
 * AttentionSpec spec = AttentionSpec.builder().causal().heads(8).weights(w).build();
 * Dataset<Row> out = SparkAttention.attend(tokens, spec);   // seq_id, pos, out
 * }</pre>
 */
public final class SparkAttention {
  private SparkAttention() {}

  /**
   * What a {@link #run} did.
   *
   * @param rowsWritten rows written to the output
   * @param plan the plan attention ran with
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
   * Self-attention over every sequence of {@code tokens}: one row per token ({@code seq_id}, {@code
   * pos} in the input's types, {@code out} an ML vector); with a pyramid in the spec, one row per
   * top-level step. Validates now; the attention itself runs when the result is consumed.
   *
   * @throws InputException for bad rows, or a spec that does not fit the data (weights, window)
   */
  public static Dataset<Row> attend(Dataset<Row> tokens, AttentionSpec spec) {
    requireCross(spec, false);
    TokenColumns cols = TokenColumns.of(tokens.schema(), "x");
    InputValidator.ValidTable valid = InputValidator.validate(tokens, cols, "input");
    return AttentionPipeline.attend(
            tokens.sparkSession(), tokens, cols, valid, null, spec, VectorType.VECTOR, 0)
        .out();
  }

  /**
   * Cross-attention: the queries of each sequence of {@code target} attend to the keys and values
   * of the {@code context} sequence of equal {@code seq_id} (both token tables; lengths and widths
   * may differ). One row per target token, as {@link #attend}.
   *
   * @throws InputException for bad rows in either table (errors on the context name it), or seq_ids
   *     in one table but not the other
   */
  public static Dataset<Row> cross(Dataset<Row> target, Dataset<Row> context, AttentionSpec spec) {
    requireCross(spec, true);
    TokenColumns cols = TokenColumns.of(target.schema(), "x");
    InputValidator.ValidTable valid = InputValidator.validate(target, cols, "input");
    DistributedAttention.Context keys = AttentionPipeline.validateContext(context);
    return AttentionPipeline.attend(
            target.sparkSession(), target, cols, valid, keys, spec, VectorType.VECTOR, 0)
        .out();
  }

  /**
   * Reads, validates, computes and writes as {@code request} says: one row per input token, written
   * all or nothing, then the attention maps if asked for. Logs one progress line per stage.
   *
   * @throws InputException for bad input, context or options, before anything is written
   */
  public static Outcome run(SparkSession spark, AttentionRequest request) {
    return AttentionPipeline.run(spark, request);
  }

  /**
   * Hierarchical attention pooling of a word table ({@code doc_id}, {@code sent_id}, {@code pos},
   * {@code x}): words into sentence vectors, sentences into document vectors, written as {@code
   * output/sentences} and {@code output/documents}, all or nothing.
   *
   * @throws InputException for bad input, before anything is written
   */
  public static HierarchicalPipeline.Outcome pool(
      SparkSession spark, HierarchicalPipeline.Request request) {
    return HierarchicalPipeline.run(spark, request);
  }

  /**
   * The plan of self-attention over sequences of {@code lengths} (no data needed): how the spec's
   * strategy, or with {@link Strategy#AUTO} the chosen one, cuts them into tile tasks.
   *
   * @param parallelism the cores the run would have (Spark's default parallelism)
   * @throws InputException for local-p, whose plan depends on the data's predicted centres
   */
  public static AttentionPlan plan(long[] lengths, AttentionSpec spec, int parallelism) {
    requireCross(spec, false);
    if (spec.isLocalP()) {
      throw InputException.forParameter(
          "localPWindow", "plans from the data's predicted centres: run it to see its plan");
    }
    long maxLength = 0;
    for (long n : lengths) {
      maxLength = Math.max(maxLength, n);
    }
    Strategy strategy = spec.strategy();
    if (strategy == Strategy.AUTO) {
      strategy =
          StrategyChooser.choose(
                  maxLength,
                  lengths.length,
                  spec.mask(),
                  spec.globalColumn(),
                  spec.numHeads(),
                  spec.blockSize(),
                  parallelism)
              .strategy();
    }
    try {
      return AttentionPlan.create(lengths, DistributedAttention.planOptions(spec, strategy));
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), e);
    }
  }

  /**
   * The cost model's estimate (FLOPs, shuffle bytes, memory per task) of self-attention over
   * sequences of {@code lengths} and vectors of {@code width}, as {@link #plan} cuts them.
   */
  public static CostEstimate estimate(
      long[] lengths, int width, AttentionSpec spec, int parallelism) {
    AttentionPlan plan = plan(lengths, spec, parallelism);
    return CostModel.estimate(
        plan,
        new CostModel.Widths(
            width,
            width,
            spec.weights().queryWidth(width),
            spec.weights().concatWidth(width, spec.numHeads(), spec.kvHeads()),
            spec.weights().keyWidth(width),
            spec.weights().valueWidth(width)),
        CostModel.Framing.KRYO_REGISTERED,
        spec.selection().isHard());
  }

  private static void requireCross(AttentionSpec spec, boolean cross) {
    if (spec.isCross() != cross) {
      throw InputException.forParameter(
          "spec",
          cross
              ? "is for self-attention: build it with cross(true) for SparkAttention.cross"
              : "is for cross attention: use SparkAttention.cross with a context table");
    }
  }
}
