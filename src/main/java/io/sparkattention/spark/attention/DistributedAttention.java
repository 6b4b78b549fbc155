package io.sparkattention.spark.attention;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.StrategyChooser;
import io.sparkattention.plan.TaskBalancer;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.FinishedToken;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.metrics.Elapsed;
import io.sparkattention.spark.validate.InputValidator;
import java.util.List;
import org.apache.spark.HashPartitioner;
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
   * Plans and builds self-attention (lazy: nothing runs until the result is consumed).
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
   * one result per token of {@code table}.
   *
   * @throws InputException if the weights or heads do not fit the vector widths, or the context's
   *     seq_ids differ from the table's
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
              spec.globalColumn(),
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
    AttentionPlan plan;
    try {
      plan =
          spec.isLocalP()
              ? planLocalP(table, cols, valid, spec, strategy, indexB, weightsB, faults)
              : spec.segmentColumn() != null
                  ? ColumnPlans.segmented(table, cols, valid, spec.segmentColumn(), spec, strategy)
                  : spec.globalColumn() != null
                      ? ColumnPlans.globals(table, cols, valid, spec.globalColumn(), spec, strategy)
                      : context == null
                          ? AttentionPlan.create(valid.lengths(), planOptions(spec, strategy))
                          : AttentionPlan.create(
                              valid.lengths(), keyLengths, planOptions(spec, strategy));
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
    // Key rows go raw or projected, whichever is fewer doubles (the same rule as the cost model's).
    KeyShipping shipping = new KeyShipping(widths, spec.numHeads());
    if (!plan.tasks().isEmpty() || !plan.isSelfAttention()) { // else no key row is shipped
      reason += "; " + KeyShipping.describe(widths, plan.headGroups(), spec.kvHeads());
    }
    CostEstimate estimate =
        CostModel.estimate(
            plan, widths, CostModel.Framing.KRYO_REGISTERED, spec.selection().isHard());
    long perTaskBytes =
        MemoryBudget.perTaskBytes(
            jsc.getConf(), jsc.isLocal(), parallelism, Runtime.getRuntime().maxMemory());
    MemoryBudget.check(plan, estimate, perTaskBytes);
    int wholeCount = plan.numWholeSequences();
    int items = plan.tasks().size() + wholeCount;
    int partitions =
        spec.partitions() > 0
            ? spec.partitions()
            : MemoryBudget.partitions(items, parallelism, estimate.routedBytes(), perTaskBytes);
    // One balance over tile tasks and whole sequences alike, by work: a corpus's partitions get
    // about the mean work whatever the mix of lengths.
    long[] costs = TaskBalancer.costs(plan);
    int[] placement = TaskBalancer.assign(costs, partitions);
    LOG.info(
        "{} attention ({}), strategy {} ({}); {} sequences in one task each, {} split into {} tile"
            + " tasks; on {} partitions, largest partition {} of mean work ({})",
        context == null ? "self" : "cross",
        spec.selection(),
        strategy,
        reason,
        String.format("%,d", wholeCount),
        String.format("%,d", plan.numSequences() - wholeCount),
        String.format("%,d", plan.tasks().size()),
        partitions,
        String.format(
            "%.2f×", TaskBalancer.imbalance(TaskBalancer.loads(costs, placement, partitions))),
        Elapsed.since(planStart));

    Broadcast<AttentionPlan> planB = jsc.broadcast(plan);

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
                      new RouteTokensFn(cols, planB, indexB, true, true, weightsB, shipping)));
    } else {
      routed =
          table
              .javaRDD()
              .mapPartitionsToPair(
                  faults.aroundPairs(
                      FaultInjection.ROUTE,
                      new RouteTokensFn(cols, planB, indexB, true, false, weightsB, shipping)))
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
                                  shipping))));
    }
    JavaRDD<TokenPart> parts =
        routed
            .repartitionAndSortWithinPartitions(new TaskPartitioner(placement, partitions))
            .mapPartitions(
                faults.around(
                    FaultInjection.TILE,
                    new TileTaskFn(planB, weightsB, spec.selection(), spec.scores(), shipping)));
    // Whole sequences' parts are final (one part each): they skip the merge stage's shuffle when
    // no tiled sequence needs it; otherwise they ride along with one part to merge.

    JavaRDD<FinishedToken> finished;
    if (plan.needsMerge()) {
      // Stage 2 shuffles partial states (max, normaliser, weighted values; hard attention: best
      // score, its key and value) by token, sorted by token so that output rows come in one
      // order; merged in canonical (head group, key group) order.
      finished =
          parts
              .mapToPair(p -> new scala.Tuple2<>(p.tokenKey(), p))
              .repartitionAndSortWithinPartitions(new HashPartitioner(partitions))
              .mapPartitions(faults.around(FaultInjection.MERGE, new MergePartialsFn(weightsB)));
    } else {
      finished = parts.map(p -> TokenFinisher.finish(List.of(p), weightsB.value()));
    }
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
