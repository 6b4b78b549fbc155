package io.sparkattention.spark.attention;

import io.sparkattention.cost.CostModel;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.StrategyChooser;
import io.sparkattention.plan.WorkBalance;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.validate.InputValidator;
import io.sparkattention.spark.validate.VectorCheck;
import java.util.function.Function;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exact attention over every sequence of a validated token table, carried out as its {@link
 * AttentionPlan} says: route tokens to tile tasks, run each task's kernel, merge partial states per
 * token in canonical order. Self-attention takes queries, keys and values from the one table;
 * cross-attention takes the queries from it and keys and values from the sequence of equal {@code
 * seq_id} in a {@link Context context} table (of other lengths, and any vector width the weights
 * fit).
 */
public final class DistributedAttention {
  private static final Logger LOG = LoggerFactory.getLogger(DistributedAttention.class);

  private DistributedAttention() {}

  /**
   * The keys/values table of cross-attention.
   *
   * @param table the context token table
   * @param cols its columns
   * @param valid its validation result
   */
  public record Context(Dataset<Row> table, TokenColumns cols, InputValidator.ValidTable valid) {}

  /**
   * The lazily computed results, the plan behind them, and the broadcast index of the sequences
   * whose numbers the results carry (for their ids, without broadcasting the ids again).
   */
  public record Result(
      JavaRDD<FinishedToken> tokens,
      AttentionPlan plan,
      String strategyReason,
      int partitions,
      Broadcast<SequenceIndex> sequences) {}

  /**
   * Plans and builds self-attention (lazy: nothing runs until the result is consumed, except the
   * routing stage when {@code valid} leaves the vectors to check: {@link VectorCheck}).
   *
   * @throws InputException if the weights or heads do not fit the table's vector width
   */
  public static Result compute(
      SparkSession spark,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      AttentionSpec spec) {
    return compute(spark, table, cols, valid, null, spec);
  }

  /**
   * Plans and builds attention of the table's tokens over {@code context} (null: self-attention);
   * one result per token of {@code table}. Lazy, as {@link #compute(SparkSession, Dataset,
   * TokenColumns, InputValidator.ValidTable, AttentionSpec)}.
   *
   * @throws InputException if the weights or heads do not fit the vector widths, or the context's
   *     seq_ids differ from the table's, or a vector left to check is bad
   */
  public static Result compute(
      SparkSession spark,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      Context context,
      AttentionSpec spec) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    AttentionWeights weights = spec.weights();
    int keyWidth = context == null ? valid.width() : context.valid().width();
    try {
      weights.validate(valid.width(), keyWidth, spec.numHeads(), spec.kvHeads());
    } catch (IllegalArgumentException e) {
      InputValidator.refuseBadVectors(table, cols, valid, "input");
      throw new InputException(
          "weights/heads do not fit the input's vectors of width "
              + valid.width()
              + (context == null ? "" : " and the context's of width " + keyWidth)
              + ": "
              + e.getMessage(),
          e);
    }
    int dHead = weights.queryWidth(valid.width()) / spec.numHeads();
    if (spec.scores().rope() != null && dHead % 2 != 0) {
      InputValidator.refuseBadVectors(table, cols, valid, "input");
      throw InputException.forParameter(
          "rope",
          "rotates pairs of columns: the head width must be even, got "
              + dHead
              + " (query width "
              + weights.queryWidth(valid.width())
              + " / "
              + spec.numHeads()
              + " heads)");
    }
    if (spec.isLocalP() && !weights.hasLocalP()) {
      throw new InputException(
          "--attention local-p needs \"wp\" and \"vp\" in the --weights file: p_t = n·sigmoid(vp"
              + "·tanh(h_t·wp)) with h_t the projected query, so wp has "
              + weights.queryWidth(valid.width())
              + " rows and vp one entry per column of wp");
    }
    if (spec.isLocalP() && !valid.vectorsChecked()) {
      // its plan reads the vectors, before routing could check them
      throw new IllegalArgumentException("local-p needs a table validated in full (validate)");
    }
    if (spec.isLocalP() && context != null) {
      throw new InputException("local-p is self-attention: it takes no context table");
    }
    long[] keyLengths =
        context == null ? valid.lengths() : InputValidator.contextLengths(valid, context.valid());
    long maxLength = valid.maxLength();
    for (long n : keyLengths) {
      maxLength = Math.max(maxLength, n);
    }
    int parallelism = jsc.defaultParallelism();
    Strategy strategy = spec.strategy();
    String reason = "chosen with --strategy";
    if (strategy == Strategy.AUTO && spec.isLocalP()) {
      StrategyChooser.Choice c =
          StrategyChooser.chooseLocalP(
              valid.maxLength(),
              valid.seqIds().size(),
              spec.localPWindow(),
              spec.numHeads(),
              spec.blockSize(),
              parallelism);
      strategy = c.strategy();
      reason = c.reason();
    } else if (strategy == Strategy.AUTO) {
      StrategyChooser.Choice c =
          StrategyChooser.choose(
              maxLength,
              valid.seqIds().size(),
              spec.mask(),
              spec.numHeads(),
              spec.blockSize(),
              parallelism);
      strategy = c.strategy();
      reason = c.reason();
    }
    MemoryBudget.checkDriver(
        valid.seqIds(), jsc.isLocal(), parallelism, Runtime.getRuntime().maxMemory());
    Broadcast<SequenceIndex> indexB = jsc.broadcast(SequenceIndex.of(valid.seqIds()));
    Broadcast<AttentionWeights> weightsB = jsc.broadcast(weights);
    FaultInjection faults = FaultInjection.of(spark);
    if (faults.isActive()) {
      LOG.warn("test-only fault injection is on: {}", faults);
    }
    long planStart = System.nanoTime();
    PlanOptions options = planOptions(spec, strategy);
    AttentionPlan plan;
    // plain mask plans may be cut again, with finer query tiles, to balance (WorkBalance)
    Function<PlanOptions, AttentionPlan> replan = null;
    try {
      if (spec.isLocalP()) {
        plan = planLocalP(table, cols, valid, spec, strategy, indexB, weightsB, faults);
      } else if (spec.segmentColumn() != null || spec.globalColumn() != null) {
        plan =
            ColumnPlans.of(
                table, cols, valid, spec.segmentColumn(), spec.globalColumn(), spec, strategy);
      } else {
        replan =
            o ->
                context == null
                    ? AttentionPlan.create(valid.lengths(), o)
                    : AttentionPlan.create(valid.lengths(), keyLengths, o);
        plan = replan.apply(options);
      }
    } catch (InputException e) {
      throw e; // validation's own (a bad segment or global-token column), its parameter kept
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage(), e);
    }
    int width = valid.width();
    CostModel.Widths widths =
        new CostModel.Widths(
            width,
            keyWidth,
            weights.queryWidth(width),
            weights.concatWidth(keyWidth, spec.numHeads(), spec.kvHeads()),
            weights.keyWidth(keyWidth),
            weights.valueWidth(keyWidth));
    // One balance over tile tasks and whole sequences alike, by work, in two sets: final items
    // (whole sequences) and partial ones (tiles whose states are merged).
    WorkBalance.Placement placement =
        AttentionStage.place(
                jsc, plan, options, replan, spec.partitions(), widths, spec.selection().isHard())
            .placement();
    plan = placement.plan();
    // Key rows go raw or projected, whichever is fewer doubles (the same rule as the cost model's).
    KeyShipping shipping = new KeyShipping(widths, spec.numHeads());
    if (!plan.tasks().isEmpty() || !plan.isSelfAttention()) { // else no key row is shipped
      reason += "; " + KeyShipping.describe(widths, plan.headGroups(), spec.kvHeads());
    }
    int wholeCount = plan.numWholeSequences();
    int partitions = placement.partitions();
    LOG.info(
        "{} attention ({}, {}), strategy {} ({}); {} sequences in one task each, {} split into {} tile"
            + " tasks (query tiles of {} blocks); on {} partitions of finished rows and {} of"
            + " partial states, largest partition {} and {} of their mean work ({})",
        context == null ? "self" : "cross",
        spec.selection(),
        spec.precision().optionValue(),
        strategy,
        reason,
        String.format("%,d", wholeCount),
        String.format("%,d", plan.numSequences() - wholeCount),
        String.format("%,d", plan.tasks().size()),
        placement.queryTileBlocks(),
        placement.finalPartitions(),
        placement.partialPartitions(),
        String.format("%.2f×", placement.finalImbalance()),
        String.format("%.2f×", placement.partialImbalance()),
        Elapsed.since(planStart));

    Broadcast<AttentionPlan> planB = jsc.broadcast(plan);
    // Vectors not checked by validation are checked as they are routed, and refused before
    // anything else runs (VectorCheck).
    VectorCheck inputCheck = VectorCheck.of(jsc.sc(), cols, valid, "input");
    VectorCheck contextCheck =
        context == null
            ? null
            : VectorCheck.of(jsc.sc(), context.cols(), context.valid(), "context");

    // Stage 1 shuffles token vectors: each to every tile task needing it as query or key
    // (cross-attention: queries from the table, keys from the context), raw or, for keys, as
    // the task's projected keys and values (KeyShipping), sorted so a task reads its queries,
    // then its keys in position order.
    JavaPairRDD<RouteKey, double[]> routed;
    if (context == null) {
      routed =
          table
              .javaRDD()
              .mapPartitionsToPair(
                  faults.aroundPairs(
                      FaultInjection.ROUTE,
                      new RouteTokensFn(
                          cols, planB, indexB, true, true, weightsB, shipping, inputCheck)));
    } else {
      routed =
          table
              .javaRDD()
              .mapPartitionsToPair(
                  faults.aroundPairs(
                      FaultInjection.ROUTE,
                      new RouteTokensFn(
                          cols, planB, indexB, true, false, weightsB, shipping, inputCheck)))
              .union(
                  context
                      .table()
                      .javaRDD()
                      .mapPartitionsToPair(
                          faults.aroundPairs(
                              FaultInjection.ROUTE,
                              new RouteTokensFn(
                                  context.cols(),
                                  planB,
                                  indexB,
                                  false,
                                  true,
                                  weightsB,
                                  shipping,
                                  contextCheck))));
    }
    JavaPairRDD<RouteKey, double[]> sorted =
        routed.repartitionAndSortWithinPartitions(
            new TaskPartitioner(placement.partition(), partitions));
    VectorCheck.runFirst(sorted, inputCheck, contextCheck);
    // Faults by the tile partition itself: final partitions are computed in the write stage.
    JavaRDD<TokenPart> parts =
        faults.inject(
            FaultInjection.TILE,
            sorted.mapPartitions(
                new TileTaskFn(
                    planB, weightsB, spec.selection(), spec.scores(), shipping, spec.precision())));
    // Stage 2 merges partial states by token; final rows (whole sequences) skip its shuffle.
    JavaRDD<FinishedToken> finished = AttentionStage.finish(parts, placement, weightsB, faults);
    return new Result(finished, plan, reason, partitions, indexB);
  }

  /** The plan options of {@code spec} with the strategy resolved ({@link Strategy#AUTO} chosen). */
  public static PlanOptions planOptions(AttentionSpec spec, Strategy resolved) {
    return PlanOptions.builder()
        .strategy(resolved)
        .mask(spec.mask())
        .blockSize(spec.blockSize())
        .numHeads(spec.numHeads())
        .kvHeads(spec.kvHeads())
        .tiles(spec.queryTileBlocks(), spec.keyTileBlocks())
        .wholeSequences(spec.wholeSequences() && !spec.isLocalP())
        .build();
  }

  /**
   * Local-p's plan: a first pass computes every token's centre and summarises them per (sequence,
   * centre block, position chunk); nothing is shuffled, the driver merges one summary per
   * partition.
   */
  private static AttentionPlan planLocalP(
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      AttentionSpec spec,
      Strategy strategy,
      Broadcast<SequenceIndex> indexB,
      Broadcast<AttentionWeights> weightsB,
      FaultInjection faults) {
    strategy.requireLocalP(); // before the first pass
    long start = System.nanoTime();
    long chunkRows = (long) spec.blockSize() * spec.queryTileBlocks();
    LocalPCells cells =
        faults
            .inject(
                FaultInjection.CENTRES,
                table
                    .javaRDD()
                    .mapPartitions(
                        new SummariseCentresFn(
                            cols,
                            indexB,
                            weightsB,
                            valid.lengths(),
                            spec.localPWindow(),
                            spec.blockSize(),
                            chunkRows)))
            .treeReduce(LocalPCells::merge);
    AttentionPlan plan =
        AttentionPlan.createLocalP(valid.lengths(), planOptions(spec, strategy), cells);
    LOG.info(
        "local-p: centres of {} tokens in {} cells (centre block × position chunk), {} ({})",
        valid.tokens(),
        cells.size(),
        plan,
        Elapsed.since(start));
    return plan;
  }
}
