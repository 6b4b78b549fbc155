package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.PlanCoverage;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.kernel.Mask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans with global tokens at data positions (a global-token column: scattered, in runs, a prefix,
 * none) against brute force over the fixtures' {@link Allowed#globalAt} predicate: every allowed
 * (query, key, head) is held by exactly one task (a gathered task holds only the global keys of its
 * range), each task's attended pairs are the allowed pairs it holds (the cost model's count), its
 * key count the keys it holds, routing finds exactly the tasks holding a position, and block pairs
 * nothing reaches get no task.
 */
class GlobalColumnPlanTest {

  private static final int HEADS = 2;
  private static final long[] LENGTHS = {1, 6, 23, 40, 61};

  /** Per sequence its global positions: none, scattered, in runs, a prefix, one at the end. */
  static long[][] positions(long seed) {
    Random rnd = new Random(seed);
    long[][] g = new long[LENGTHS.length][];
    g[0] = seed % 2 == 0 ? new long[] {0} : null;
    g[1] = new long[] {2, 3};
    g[2] = scattered(rnd, 23, 0.2);
    g[3] = new long[] {0, 1, 2, 17, 18, 39};
    g[4] = scattered(rnd, 61, 0.1);
    return g;
  }

  static long[] scattered(Random rnd, int n, double p) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (rnd.nextDouble() < p) {
        out.add((long) i);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(151);
    Mask[] bases = {
      Mask.none(), Mask.causal(), Mask.window(0), Mask.window(2), Mask.causalWindow(5)
    };
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask base : bases) {
        if (!StrategyMasks.fits(s, base)) {
          continue;
        }
        for (long seed = 0; seed < 3; seed++) {
          int qTiles = 1 + rnd.nextInt(3);
          int kTiles = 1 + rnd.nextInt(3);
          out.add(Arguments.of(s, base, seed, qTiles, kTiles));
        }
      }
    }
    return out.stream();
  }

  static AttentionPlan plan(Strategy s, Mask base, long seed, int qTiles, int kTiles) {
    return AttentionPlan.create(
        LENGTHS,
        SequenceMasks.globals(positions(seed)),
        PlanOptions.builder()
            .strategy(s)
            .mask(base)
            .blockSize(8)
            .numHeads(HEADS)
            .tiles(qTiles, kTiles)
            .build());
  }

  static Set<Long> set(long[] positions) {
    Set<Long> g = new HashSet<>();
    for (long p : positions == null ? new long[0] : positions) {
      g.add(p);
    }
    return g;
  }

  @ParameterizedTest(name = "{0} {1} seed {2} tiles {3}x{4}")
  @MethodSource("configs")
  void coversEveryAllowedPairOnceAndCountsThem(
      Strategy s, Mask base, long seed, int qTiles, int kTiles) {
    AttentionPlan plan = plan(s, base, seed, qTiles, kTiles);
    long[][] positions = positions(seed);
    PlanCoverage.assertCoversEveryAllowedPairOnce(
        plan,
        LENGTHS,
        HEADS,
        seq -> Allowed.globalAt(Allowed.of(base), set(positions[seq]), base.isCausal()),
        seq -> set(positions[seq]));
  }

  @ParameterizedTest(name = "{0} {1} seed {2} tiles {3}x{4}")
  @MethodSource("configs")
  void routingFindsExactlyTheTasksHoldingAPosition(
      Strategy s, Mask base, long seed, int qTiles, int kTiles) {
    AttentionPlan plan = plan(s, base, seed, qTiles, kTiles);
    long[][] positions = positions(seed);
    PlanCoverage.assertRoutesExactly(plan, LENGTHS, seq -> set(positions[seq]));
  }

  /** The pair count of every rectangle against the loop and the fixture, for scattered globals. */
  @Test
  void attendedPairsOfEveryRectangleMatchTheBruteForce() {
    Mask[] bases = {Mask.none(), Mask.causal(), Mask.window(3), Mask.causalWindow(4)};
    Random rnd = new Random(7);
    for (Mask base : bases) {
      for (int trial = 0; trial < 4; trial++) {
        long[] g = scattered(rnd, 24, 0.25);
        Mask m = base.withGlobalPositions(g);
        Allowed allowed = Allowed.globalAt(Allowed.of(base), set(g), base.isCausal());
        RectanglePairs.assertCountsMatchTheBruteForce(m, allowed, 24, 3, 5, 2, 3);
      }
    }
  }

  /**
   * Window 1 over 64 positions with global tokens at 20 and 45, blocks of 8, one block per task:
   * the global keys are gathered into each tile's tasks (two keys, not their blocks), the global
   * queries' blocks reach every key block, and the other block pairs away from the band get none.
   */
  @Test
  void gathersTheGlobalKeysAndSkipsWhatNothingReaches() {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {64},
            SequenceMasks.globals(new long[][] {{20, 45}}),
            PlanOptions.builder()
                .strategy(Strategy.BLOCKS)
                .mask(Mask.window(1))
                .blockSize(8)
                .tiles(1, 1)
                .build());
    TreeSet<String> pairs = new TreeSet<>();
    for (TileTask t : plan.tasks()) {
      pairs.add(t.qStart() / 8 + "," + t.kStart() / 8);
      if (t.gatheredKeys()) {
        assertEquals(1, t.keyCount(), "one global key per key block: " + t);
      }
    }
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 8; i++) {
      for (int j = 0; j < 8; j++) {
        if (i == 2 || i == 5 || j == 2 || j == 5 || Math.abs(i - j) <= 1) {
          expected.add(i + "," + j);
        }
      }
    }
    assertEquals(expected, pairs);
    String message =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    AttentionPlan.create(
                        new long[] {5},
                        SequenceMasks.globals(new long[][] {{1, 5}}),
                        PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(2).build()))
            .getMessage();
    assertTrue(message.contains("global token at 5"), message);
  }
}
