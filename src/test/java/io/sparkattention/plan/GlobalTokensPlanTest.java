package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Plans with global tokens (Longformer) against brute force over the fixtures' {@link
 * Allowed#global} predicate: every allowed (query, key, head) is covered by exactly one task, each
 * task's attended pairs are the allowed pairs of its rectangle (the cost model's count), routing
 * finds exactly the tasks holding a position, and block pairs nothing reaches get no task.
 */
class GlobalTokensPlanTest {

  private static final int HEADS = 2;

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(15);
    Mask[] bases = {
      Mask.none(), Mask.causal(), Mask.window(0), Mask.window(2), Mask.causalWindow(5)
    };
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask base : bases) {
        if (!StrategyMasks.fits(s, base)) {
          continue;
        }
        for (int n : new int[] {0, 1, 3, 9, 70}) {
          long[] lengths = {1, 6, 23, 40, 61};
          int qTiles = 1 + rnd.nextInt(3);
          int kTiles = 1 + rnd.nextInt(3);
          out.add(Arguments.of(s, base.withGlobalTokens(n), 8, qTiles, kTiles, lengths));
        }
      }
    }
    return out.stream();
  }

  static AttentionPlan plan(Strategy s, Mask m, int b, int qTiles, int kTiles, long[] lengths) {
    return AttentionPlan.create(
        lengths,
        PlanOptions.builder()
            .strategy(s)
            .mask(m)
            .blockSize(b)
            .numHeads(HEADS)
            .tiles(qTiles, kTiles)
            .build());
  }

  /** The first {@code n} positions (a prefix: gathered tasks hold their whole range). */
  static Set<Long> firstN(Mask m) {
    Set<Long> g = new HashSet<>();
    for (long p = 0; p < m.globalTokens(); p++) {
      g.add(p);
    }
    return g;
  }

  @ParameterizedTest(name = "{0} {1} B={2} tiles {3}x{4}")
  @MethodSource("configs")
  void coversEveryAllowedPairOnceAndCountsThem(
      Strategy s, Mask m, int b, int qTiles, int kTiles, long[] lengths) {
    AttentionPlan plan = plan(s, m, b, qTiles, kTiles, lengths);
    // the cost model's count: exactly the allowed pairs (once per head group)
    PlanCoverage.assertCoversEveryAllowedPairOnce(
        plan, lengths, HEADS, seq -> Allowed.of(m), seq -> firstN(m));
  }

  @ParameterizedTest(name = "{0} {1} B={2} tiles {3}x{4}")
  @MethodSource("configs")
  void routingFindsExactlyTheTasksHoldingAPosition(
      Strategy s, Mask m, int b, int qTiles, int kTiles, long[] lengths) {
    PlanCoverage.assertRoutesExactly(
        plan(s, m, b, qTiles, kTiles, lengths), lengths, seq -> firstN(m));
  }

  /** The O(1) count of a rectangle against the loop over {@link Mask#allows}, and the fixture. */
  @Test
  void attendedPairsOfEveryRectangleMatchTheBruteForce() {
    Mask[] bases = {Mask.none(), Mask.causal(), Mask.window(3), Mask.causalWindow(4)};
    for (Mask base : bases) {
      for (int n : new int[] {1, 2, 5, 17}) {
        Mask m = base.withGlobalTokens(n);
        Allowed allowed = Allowed.of(m);
        RectanglePairs.assertCountsMatchTheBruteForce(m, allowed, 24, 3, 5, 2, 3);
      }
    }
  }

  /**
   * Window 2 with 4 global tokens over 64 positions, blocks of 8, one block per task: the global
   * keys' block goes to every query block, the global queries' block to every key block, and the
   * rest only to the diagonal band; the other block pairs get no task.
   */
  @Test
  void blockPairsNothingReachesGetNoTask() {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {64},
            PlanOptions.builder()
                .strategy(Strategy.BLOCKS)
                .mask(Mask.window(2).withGlobalTokens(4))
                .blockSize(8)
                .tiles(1, 1)
                .build());
    TreeSet<String> pairs = new TreeSet<>();
    for (TileTask t : plan.tasks()) {
      pairs.add(t.qStart() / 8 + "," + t.kStart() / 8);
    }
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 8; i++) {
      for (int j = 0; j < 8; j++) {
        if (i == 0 || j == 0 || Math.abs(i - j) <= 1) {
          expected.add(i + "," + j);
        }
      }
    }
    assertEquals(expected, pairs);
    // the window strategy keeps a tile's window apart from the global keys: two tasks, not a hull
    AttentionPlan window =
        AttentionPlan.create(
            new long[] {64},
            PlanOptions.builder()
                .strategy(Strategy.WINDOW)
                .mask(Mask.window(2).withGlobalTokens(4))
                .blockSize(8)
                .tiles(1, 1)
                .build());
    for (TileTask t : window.tasks()) {
      assertTrue(t.keyCount() <= 12 || t.qStart() == 0, "a window tile holds no far keys: " + t);
    }
  }
}
