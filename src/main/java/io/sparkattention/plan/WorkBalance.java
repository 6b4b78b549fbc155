package io.sparkattention.plan;

import io.sparkattention.kernel.Mask;
import java.util.function.Function;

/**
 * Where the attention stage's items go: the plan's tile tasks and whole sequences, in two sets of
 * partitions, each balanced by work ({@link TaskBalancer}).
 *
 * <ul>
 *   <li><b>Final</b> items (whole sequences, and tile tasks whose queries get one part each) write
 *       finished rows: their partitions, {@code [0, finalPartitions)}, go straight to the writer.
 *   <li><b>Partial</b> items (tile tasks whose queries get parts from several key or head groups)
 *       have their partial states merged: their partitions, {@code [finalPartitions,
 *       partitions())}, feed the merge shuffle, which thus carries no whole sequence of a corpus.
 * </ul>
 *
 * <p>The two sets run in different Spark stages (the partial set before the merge shuffle, the
 * final set with the write), so each is balanced on its own. A long sequence's few tile tasks are
 * too coarse to balance: a 65,536-token causal sequence in default tiles (16 × 32 blocks of 1,024)
 * makes six tasks of 1 : 1 : 3 : 3 : 4 : 4 work, 1.45× the mean over six partitions. (The tiles
 * left of the causal diagonal's last key group get one part per query: final items, heavy ones.)
 * While either set's largest partition exceeds {@link #TARGET} times its mean, the balance halves
 * the query tiles and plans again, down to one block. That keeps every output bit: key groups, and
 * thus the merge, stay as they were, and with a mask that starts every tile's keys at its key
 * group's start (none or causal, no segments or global tokens) each query block meets the same key
 * blocks at the same positions; with other masks, or local-p, the plan is left as cut.
 *
 * <p>O(n log n) per plan in the number n of task ids, and at most log2(query tile blocks) plans
 * more: a few bytes per sequence on the driver.
 */
public final class WorkBalance {
  /** Largest partition's work over its set's mean that the balance aims for (issue 13). */
  public static final double TARGET = 1.2;

  /**
   * Least share of the routed records that final items need for partitions of their own; below it
   * (a handful of short sequences beside long ones) they ride along in the merge, as fewer tasks
   * matter more there than the little shuffle saved.
   */
  public static final double MIN_FINAL_SHARE = 0.05;

  private WorkBalance() {}

  /** How many partitions a set of items needs. */
  @FunctionalInterface
  public interface Sizer {
    /**
     * Partitions for {@code items} items of {@code plan} that receive {@code routedShare} of its
     * routed records.
     */
    int partitions(AttentionPlan plan, int items, double routedShare);
  }

  /**
   * The balanced plan and its placement.
   *
   * @param plan the plan (cut finer than asked if the balance needed it)
   * @param partition per task id its partition
   * @param finalPartitions partitions {@code [0, finalPartitions)}: final items
   * @param partialPartitions partitions after them: partial items (0: no merge)
   * @param finalImbalance largest final partition's work over their mean (1 if none)
   * @param partialImbalance the same for the partial partitions
   * @param queryTileBlocks the plan's query tile size in blocks
   */
  public record Placement(
      AttentionPlan plan,
      int[] partition,
      int finalPartitions,
      int partialPartitions,
      double finalImbalance,
      double partialImbalance,
      int queryTileBlocks) {
    /** All partitions of the attention stage. */
    public int partitions() {
      return finalPartitions + partialPartitions;
    }
  }

  /**
   * Places {@code plan}'s items, cutting its query tiles finer (through {@code replan}, null:
   * never) while the partial set is above {@link #TARGET}; returns the first placement within it,
   * else the best one.
   *
   * @param plan the plan cut with {@code options}
   * @param replan plans with other options (the same lengths and masks), or null
   * @param fixedPartitions partitions in all (split between the sets by work), or 0 to size each
   *     set with {@code sizer}
   */
  public static Placement balance(
      AttentionPlan plan,
      PlanOptions options,
      Function<PlanOptions, AttentionPlan> replan,
      int fixedPartitions,
      Sizer sizer) {
    PlanOptions o = options;
    Placement best = null;
    while (true) {
      Placement p = place(plan, fixedPartitions, sizer, o.queryTileBlocks());
      if (best == null || worst(p) < worst(best)) {
        best = p;
      }
      if (worst(p) <= TARGET || replan == null || !refinable(plan, o)) {
        return best;
      }
      o = o.withQueryTileBlocks(o.queryTileBlocks() / 2);
      plan = replan.apply(o);
    }
  }

  /** The larger of the two sets' imbalances. */
  static double worst(Placement p) {
    return Math.max(p.finalImbalance(), p.partialImbalance());
  }

  /** Whether cutting the query tiles finer keeps the bits (see the class comment) and may help. */
  static boolean refinable(AttentionPlan plan, PlanOptions o) {
    Mask.Kind kind = plan.mask().kind();
    return o.queryTileBlocks() > 1
        && !plan.isLocalP()
        && plan.sequenceMasks() == null
        && (kind == Mask.Kind.NONE || kind == Mask.Kind.CAUSAL)
        && (o.strategy() == Strategy.BLOCKS || o.strategy() == Strategy.HEADS)
        && !plan.tasks().isEmpty();
  }

  /** One placement of the plan's items: split into the two sets, each balanced by work. */
  static Placement place(AttentionPlan plan, int fixedPartitions, Sizer sizer, int tileBlocks) {
    long[] costs = TaskBalancer.costs(plan);
    boolean[] partial = new boolean[costs.length];
    long[] work = new long[2]; // [final, partial]
    long[] records = new long[2];
    int[] items = new int[2];
    for (TileTask t : plan.tasks()) {
      int set = plan.partsPerQuery(t) > 1 ? 1 : 0;
      partial[t.id()] = set == 1;
      work[set] += costs[t.id()];
      records[set] += t.queryCount() + t.keyCount();
      items[set]++;
    }
    for (int s = 0; s < plan.numSequences(); s++) {
      if (plan.isWhole(s)) {
        work[0] += costs[plan.wholeTaskId(s)];
        records[0] += plan.queryLength(s) + (plan.isSelfAttention() ? 0 : plan.keyLength(s));
        items[0]++;
      }
    }
    int finalParts;
    int partialParts;
    double total = records[0] + records[1];
    if (items[1] == 0
        || items[0] == 0
        || fixedPartitions == 1
        || records[0] < MIN_FINAL_SHARE * total) {
      // one set: everything final (no merge) or everything through the merge
      int all =
          fixedPartitions > 0 ? fixedPartitions : sizer.partitions(plan, items[0] + items[1], 1.0);
      finalParts = items[1] == 0 ? all : 0;
      partialParts = all - finalParts;
    } else if (fixedPartitions > 0) {
      double share = work[1] / (double) (work[0] + work[1]);
      partialParts =
          (int) Math.max(1, Math.min(fixedPartitions - 1, Math.round(fixedPartitions * share)));
      finalParts = fixedPartitions - partialParts;
    } else {
      finalParts = sizer.partitions(plan, items[0], records[0] / total);
      partialParts = sizer.partitions(plan, items[1], records[1] / total);
    }
    if (partialParts == 0 || finalParts == 0) {
      boolean toPartial = partialParts > 0;
      java.util.Arrays.fill(partial, toPartial);
    }
    int[] partition = new int[costs.length];
    double finalImbalance = assignSet(costs, partial, false, finalParts, 0, partition);
    double partialImbalance = assignSet(costs, partial, true, partialParts, finalParts, partition);
    return new Placement(
        plan, partition, finalParts, partialParts, finalImbalance, partialImbalance, tileBlocks);
  }

  /**
   * Balances the ids with {@code partial[id] == set} over {@code count} partitions from {@code
   * first}; returns the largest load over the mean (1 for an empty set).
   */
  private static double assignSet(
      long[] costs, boolean[] partial, boolean set, int count, int first, int[] partition) {
    int n = 0;
    for (boolean p : partial) {
      n += p == set ? 1 : 0;
    }
    if (n == 0 || count == 0) {
      return 1.0;
    }
    int[] ids = new int[n];
    long[] sub = new long[n];
    int k = 0;
    for (int id = 0; id < costs.length; id++) {
      if (partial[id] == set) {
        ids[k] = id;
        sub[k++] = costs[id];
      }
    }
    int[] placed = TaskBalancer.assign(sub, count);
    for (int i = 0; i < n; i++) {
      partition[ids[i]] = first + placed[i];
    }
    return TaskBalancer.imbalance(TaskBalancer.loads(sub, placed, count));
  }
}
