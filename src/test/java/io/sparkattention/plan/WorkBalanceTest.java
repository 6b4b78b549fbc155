package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.Mask;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The attention stage's balance on a mixed corpus (issue 13): a power law of short sequences and
 * one long one. Work is the plan's own count ({@link TaskBalancer#costs}), never wall time.
 */
class WorkBalanceTest {
  static final int BLOCK = 1024;

  /** {@code count} lengths of P(n) ∝ n^−2 on [10, 100], seeded, and one of {@code longLength}. */
  static long[] mixedCorpus(int count, long longLength, long seed) {
    Random rnd = new Random(seed);
    long[] lengths = new long[count + 1];
    double lo = 10;
    double hi = 100;
    for (int s = 0; s < count; s++) {
      double u = rnd.nextDouble();
      lengths[s] = Math.min(100, (long) Math.floor(1 / (1 / lo - u * (1 / lo - 1 / hi))));
    }
    lengths[count] = longLength;
    return lengths;
  }

  static PlanOptions options(Mask mask, Strategy strategy) {
    return PlanOptions.builder()
        .strategy(strategy)
        .mask(mask)
        .blockSize(BLOCK)
        .numHeads(2)
        .wholeSequences(true)
        .build();
  }

  /** Work per partition from the placement, over the plan's own item costs. */
  static long[] loads(WorkBalance.Placement p) {
    return TaskBalancer.loads(TaskBalancer.costs(p.plan()), p.partition(), p.partitions());
  }

  static double imbalance(long[] loads, int from, int to) {
    long[] set = java.util.Arrays.copyOfRange(loads, from, to);
    return TaskBalancer.imbalance(set);
  }

  /**
   * The measured case (75,000 power-law sequences of 10–100 tokens and one of 65,536, causal, 2
   * heads, 6 partitions) and others like it: every partition of either set within 1.2× of its set's
   * mean work, recomputed here from the plan's costs. As cut by default the long sequence's six
   * tile tasks allow no better than 1.45×.
   */
  @ParameterizedTest
  @ValueSource(ints = {2, 4, 6, 9})
  void mixedCorpusWithinTwentyPercentOfTheMean(int partitions) {
    for (Mask mask : new Mask[] {Mask.causal(), Mask.none()}) {
      for (long longLength : new long[] {65_536, 100_000}) {
        long[] lengths = mixedCorpus(75_000, longLength, 7);
        PlanOptions o = options(mask, Strategy.BLOCKS);
        Function<PlanOptions, AttentionPlan> replan = x -> AttentionPlan.create(lengths, x);
        WorkBalance.Placement p = WorkBalance.balance(replan.apply(o), o, replan, partitions, null);
        String what = mask + ", long " + longLength + ", " + partitions + " partitions: " + p;
        assertEquals(partitions, p.partitions(), what);
        long[] loads = loads(p);
        int f = p.finalPartitions();
        assertTrue(f >= 1 && p.partialPartitions() >= 1, what);
        assertTrue(imbalance(loads, 0, f) <= WorkBalance.TARGET, what);
        assertTrue(imbalance(loads, f, p.partitions()) <= WorkBalance.TARGET, what);
        assertEquals(imbalance(loads, f, p.partitions()), p.partialImbalance(), 1e-12, what);
        // the long sequence's key groups, and thus its merge, are as cut by default
        AttentionPlan plain = AttentionPlan.create(lengths, o);
        assertEquals(plain.keyGroup(75_000), p.plan().keyGroup(75_000), what);
        assertTrue(p.plan().queryTile(75_000) <= plain.queryTile(75_000), what);
        if (partitions == 6 && mask.kind() == Mask.Kind.CAUSAL && longLength == 65_536) {
          // as cut (1.45× over six partitions before the sets): the re-cut is what balances it
          double asCut = WorkBalance.balance(plain, o, null, partitions, null).partialImbalance();
          assertTrue(asCut > WorkBalance.TARGET, "as cut: " + asCut);
          assertTrue(p.queryTileBlocks() < PlanOptions.DEFAULT_QUERY_TILE_BLOCKS, what);
        }
      }
    }
  }

  /** The sets: whole sequences final, merged tiles partial; every id in its set's range. */
  @ParameterizedTest
  @ValueSource(ints = {3, 6})
  void finalAndPartialItemsGoToTheirOwnPartitions(int partitions) {
    long[] lengths = mixedCorpus(5_000, 65_536, 11);
    PlanOptions o = options(Mask.causal(), Strategy.BLOCKS);
    Function<PlanOptions, AttentionPlan> replan = x -> AttentionPlan.create(lengths, x);
    WorkBalance.Placement p = WorkBalance.balance(replan.apply(o), o, replan, partitions, null);
    AttentionPlan plan = p.plan();
    int f = p.finalPartitions();
    for (int s = 0; s < plan.numSequences(); s++) {
      if (plan.isWhole(s)) {
        assertTrue(p.partition()[plan.wholeTaskId(s)] < f, "whole sequence " + s);
      }
    }
    for (TileTask t : plan.tasks()) {
      int at = p.partition()[t.id()];
      boolean partial = plan.partsPerQuery(t) > 1;
      assertTrue(partial ? at >= f && at < p.partitions() : at < f, t + " at " + at);
    }
  }

  /** One partition, or a corpus of whole sequences only: one set, nothing re-cut. */
  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void oneSetWhenNothingIsSplitOrOnePartition(int partitions) {
    long[] shorts = mixedCorpus(1_000, 50, 3);
    PlanOptions o = options(Mask.causal(), Strategy.BLOCKS);
    AttentionPlan plan = AttentionPlan.create(shorts, o);
    WorkBalance.Placement p = WorkBalance.balance(plan, o, x -> plan, partitions, null);
    assertEquals(partitions, p.finalPartitions());
    assertEquals(0, p.partialPartitions());

    long[] mixed = mixedCorpus(1_000, 65_536, 3);
    AttentionPlan m = AttentionPlan.create(mixed, o);
    WorkBalance.Placement one =
        WorkBalance.balance(m, o, x -> AttentionPlan.create(mixed, x), 1, null);
    assertSame(m, one.plan(), "one partition is balanced as cut");
    assertEquals(0, one.finalPartitions());
    assertEquals(1, one.partialPartitions());
  }

  /**
   * Masks whose tiles' keys start at the tile's reach (windows, segments) keep their cut: finer
   * query tiles would move their key blocks, and so the bits.
   */
  @ParameterizedTest
  @ValueSource(ints = {6})
  void windowedPlansAreNotRecut(int partitions) {
    long[] lengths = mixedCorpus(2_000, 65_536, 5);
    PlanOptions o = options(Mask.causalWindow(3000), Strategy.BLOCKS);
    AttentionPlan plan = AttentionPlan.create(lengths, o);
    WorkBalance.Placement p =
        WorkBalance.balance(plan, o, x -> AttentionPlan.create(lengths, x), partitions, null);
    assertSame(plan, p.plan());
    assertEquals(PlanOptions.DEFAULT_QUERY_TILE_BLOCKS, p.queryTileBlocks());
  }

  /**
   * Sized sets: the sizer is asked per set with its share of the routed records; both sets within
   * 1.2× (the job's log of the measured corpus once showed the final set at 1.23×: 6 partitions of
   * whole sequences and heavy one-part tiles).
   */
  @ParameterizedTest
  @ValueSource(ints = {2, 4, 5, 6})
  void sizerSizesEachSet(int perSet) {
    // as the measured job: the tiles left of the last key group are final, and heavy
    long[] lengths = mixedCorpus(75_000, 65_536, 13);
    PlanOptions o = options(Mask.causal(), Strategy.BLOCKS);
    Function<PlanOptions, AttentionPlan> replan = x -> AttentionPlan.create(lengths, x);
    double[] shares = new double[2];
    int[] calls = new int[1];
    WorkBalance.Placement p =
        WorkBalance.balance(
            replan.apply(o),
            o,
            replan,
            0,
            (plan, items, share) -> {
              shares[calls[0]++ % 2] = share;
              return perSet;
            });
    assertEquals(perSet, p.finalPartitions());
    assertEquals(perSet, p.partialPartitions());
    assertEquals(1.0, shares[0] + shares[1], 1e-9);
    assertTrue(p.partialImbalance() <= WorkBalance.TARGET, p.toString());
    assertTrue(p.finalImbalance() <= WorkBalance.TARGET, p.toString());
    long[] loads = loads(p);
    assertTrue(imbalance(loads, 0, perSet) <= WorkBalance.TARGET, p.toString());
    assertTrue(imbalance(loads, perSet, 2 * perSet) <= WorkBalance.TARGET, p.toString());
    AttentionPlan unrefined = replan.apply(o);
    assertNotSame(unrefined, p.plan());
  }
}
