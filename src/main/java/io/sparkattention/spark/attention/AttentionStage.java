package io.sparkattention.spark.attention;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.WorkBalance;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.FinishedToken;
import java.io.Serializable;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * The attention stage's partitions and what follows them: where the plan's items go ({@link
 * WorkBalance}: final items, whose rows are finished, apart from partial ones, whose states are
 * merged), and the finished rows of either.
 */
final class AttentionStage {
  private AttentionStage() {}

  /** A placement and the cost estimate of its plan. */
  record Placed(WorkBalance.Placement placement, CostEstimate estimate) {}

  /**
   * Places the plan's items: {@code partitions} in all if above 0, else each set sized by {@link
   * MemoryBudget#partitions} from its share of the routed bytes; the plan re-cut through {@code
   * replan} (null: never) if the balance asks for finer query tiles. Checks the chosen plan's
   * memory ({@link MemoryBudget#check}).
   */
  static Placed place(
      JavaSparkContext jsc,
      AttentionPlan plan,
      PlanOptions options,
      Function<PlanOptions, AttentionPlan> replan,
      int partitions,
      CostModel.Widths widths,
      boolean hard) {
    int parallelism = jsc.defaultParallelism();
    long perTaskBytes =
        MemoryBudget.perTaskBytes(
            jsc.getConf(), jsc.isLocal(), parallelism, Runtime.getRuntime().maxMemory());
    // the estimate of the last plan sized (a placement sizes both of its sets with one plan)
    CostEstimate[] last = new CostEstimate[1];
    AttentionPlan[] lastPlan = new AttentionPlan[1];
    Function<AttentionPlan, CostEstimate> estimate =
        p -> {
          if (lastPlan[0] != p) {
            last[0] = CostModel.estimate(p, widths, CostModel.Framing.KRYO_REGISTERED, hard);
            lastPlan[0] = p;
          }
          return last[0];
        };
    WorkBalance.Placement placement =
        WorkBalance.balance(
            plan,
            options,
            replan,
            partitions,
            (p, items, share) ->
                MemoryBudget.partitions(
                    items,
                    parallelism,
                    (long) (estimate.apply(p).routedBytes() * share),
                    perTaskBytes));
    CostEstimate e = estimate.apply(placement.plan());
    MemoryBudget.check(placement.plan(), e, perTaskBytes);
    return new Placed(placement, e);
  }

  /**
   * The finished rows of the attention stage's {@code parts}: final partitions' parts finished
   * where they are; partial partitions' merged after one shuffle by token ({@link
   * MergePartialsFn}), on {@code partialPartitions} partitions. Each of {@code parts}' partitions
   * is computed once: pruned to one set or the other, never filtered twice.
   */
  static JavaRDD<FinishedToken> finish(
      JavaRDD<TokenPart> parts,
      WorkBalance.Placement placement,
      Broadcast<AttentionWeights> weightsB,
      FaultInjection faults) {
    int finals = placement.finalPartitions();
    int partials = placement.partialPartitions();
    if (partials == 0) {
      return parts.map(p -> TokenFinisher.finish(List.of(p), weightsB.value()));
    }
    JavaRDD<TokenPart> toMerge = finals == 0 ? parts : prune(parts, finals, finals + partials);
    // Shuffles partial states (max, normaliser, weighted values; hard attention: best score, its
    // key and value) by token, sorted by token so that output rows come in one order; merged in
    // canonical (head group, key group) order.
    JavaRDD<FinishedToken> merged =
        faults.inject(
            FaultInjection.MERGE,
            toMerge
                .mapToPair(p -> new Tuple2<>(p.tokenKey(), p))
                .repartitionAndSortWithinPartitions(new HashPartitioner(partials))
                .mapPartitions(new MergePartialsFn(weightsB)));
    if (finals == 0) {
      return merged;
    }
    // final rows (whole sequences of a corpus) shuffle nothing more: straight to the writer
    return prune(parts, 0, finals)
        .map(p -> TokenFinisher.finish(List.of(p), weightsB.value()))
        .union(merged);
  }

  /** The partitions {@code [lo, hi)} of {@code rdd}, the others never computed. */
  private static JavaRDD<TokenPart> prune(JavaRDD<TokenPart> rdd, int lo, int hi) {
    ClassTag<TokenPart> tag = ClassTag$.MODULE$.apply(TokenPart.class);
    return new JavaRDD<>(PartitionPruningRDD.create(rdd.rdd(), new InRange(lo, hi)), tag);
  }

  /** Whether a partition index is in {@code [lo, hi)}. */
  private static final class InRange extends AbstractFunction1<Object, Object>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int lo;
    private final int hi;

    InRange(int lo, int hi) {
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    public Object apply(Object index) {
      int i = (Integer) index;
      return i >= lo && i < hi;
    }
  }
}
