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
 * Plans of packed documents with global tokens ({@link SequenceMasks#of}: a segment column and a
 * global-token column; or segments with the first N positions global) against brute force over the
 * fixtures' {@link Allowed#packedWithGlobals} predicate: every allowed (query, key, head) is held
 * by exactly one task, each task's attended pairs and keys are what it holds, routing finds exactly
 * the tasks holding a position, the pair count of every rectangle is the brute force's, and block
 * pairs across documents that nothing reaches get no task.
 */
class SegmentedGlobalPlanTest {
  private static final int HEADS = 2;
  private static final long[] LENGTHS = {1, 7, 23, 40, 61};

  /** One plan's sequences: their segments' starts, global positions and document labels. */
  static final class Packed {
    final long[][] starts = new long[LENGTHS.length][];
    final long[][] globals = new long[LENGTHS.length][];
    final int[][] labels = new int[LENGTHS.length][];

    Packed(long seed, int firstN) {
      Random rnd = new Random(seed);
      for (int s = 0; s < LENGTHS.length; s++) {
        int n = (int) LENGTHS[s];
        starts[s] = randomStarts(rnd, n);
        labels[s] = labels(starts[s], n);
        List<Long> g = new ArrayList<>();
        for (int p = 0; p < n; p++) {
          if (firstN >= 0 ? p < firstN : rnd.nextInt(6) == 0) {
            g.add((long) p);
          }
        }
        globals[s] = g.stream().mapToLong(Long::longValue).toArray();
      }
    }

    Set<Long> global(int s) {
      Set<Long> g = new HashSet<>();
      for (long p : globals[s]) {
        g.add(p);
      }
      return g;
    }

    /** The fixture's predicate, tabulated once (the walks ask it many times per pair). */
    Allowed allowed(Mask base, int s) {
      Allowed rule =
          Allowed.packedWithGlobals(labels[s], Allowed.of(base), global(s), base.isCausal());
      int n = (int) LENGTHS[s];
      boolean[][] table = new boolean[n][n];
      for (int q = 0; q < n; q++) {
        for (int k = 0; k < n; k++) {
          table[q][k] = rule.test(q, k);
        }
      }
      return (q, k) -> table[(int) q][(int) k];
    }
  }

  /** Segment starts (null: one segment), some documents of one token. */
  static long[] randomStarts(Random rnd, int n) {
    TreeSet<Long> s = new TreeSet<>();
    s.add(0L);
    for (int p = 1; p < n; p++) {
      if (rnd.nextInt(7) == 0) {
        s.add((long) p);
      }
    }
    return s.size() == 1 ? null : s.stream().mapToLong(Long::longValue).toArray();
  }

  static int[] labels(long[] starts, int n) {
    int[] seg = new int[n];
    for (int p = 0, i = 0; p < n; p++) {
      while (starts != null && i + 1 < starts.length && starts[i + 1] <= p) {
        i++;
      }
      seg[p] = i;
    }
    return seg;
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(2015);
    Mask[] bases = {
      Mask.none(), Mask.causal(), Mask.window(0), Mask.window(2), Mask.causalWindow(5)
    };
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask base : bases) {
        if (!StrategyMasks.fits(s, base)) {
          continue;
        }
        // a global-token column (firstN -1), and the first 3 positions global
        for (int firstN : new int[] {-1, -1, 3}) {
          out.add(
              Arguments.of(
                  s, base, rnd.nextLong(), firstN, 1 + rnd.nextInt(3), 1 + rnd.nextInt(3)));
        }
      }
    }
    return out.stream();
  }

  static AttentionPlan plan(
      Strategy s, Mask base, Packed packed, int firstN, int qTiles, int kTiles) {
    PlanOptions.Builder options =
        PlanOptions.builder().strategy(s).blockSize(8).numHeads(HEADS).tiles(qTiles, kTiles);
    return firstN < 0
        ? AttentionPlan.create(
            LENGTHS, SequenceMasks.of(packed.starts, packed.globals), options.mask(base).build())
        : AttentionPlan.create(
            LENGTHS,
            SequenceMasks.segments(packed.starts),
            options.mask(base.withGlobalTokens(firstN)).build());
  }

  @ParameterizedTest(name = "{0} {1} seed {2} firstN {3} tiles {4}x{5}")
  @MethodSource("configs")
  void coversEveryAllowedPairOnceCountsThemAndRoutesExactly(
      Strategy s, Mask base, long seed, int firstN, int qTiles, int kTiles) {
    Packed packed = new Packed(seed, firstN);
    AttentionPlan plan = plan(s, base, packed, firstN, qTiles, kTiles);
    PlanCoverage.assertCoversEveryAllowedPairOnce(
        plan, LENGTHS, HEADS, seq -> packed.allowed(base, seq), packed::global);
    PlanCoverage.assertRoutesExactly(plan, LENGTHS, packed::global);
  }

  /** The pair count and anyAllowed of every rectangle against brute force. */
  @Test
  void attendedPairsOfEveryRectangleMatchTheBruteForce() {
    Mask[] bases = {Mask.none(), Mask.causal(), Mask.window(3), Mask.causalWindow(4)};
    Random rnd = new Random(8);
    for (Mask base : bases) {
      for (int trial = 0; trial < 4; trial++) {
        Packed packed = new Packed(rnd.nextLong(), trial == 3 ? 2 : -1);
        int s = 3; // 40 positions
        if (packed.starts[s] == null || packed.globals[s].length == 0) {
          continue;
        }
        Mask m = base.withSegments(packed.starts[s]).withGlobalPositions(packed.globals[s]);
        Allowed allowed = packed.allowed(base, s);
        RectanglePairs.assertCountsMatchTheBruteForce(m, allowed, 40, 3, 7, 4, 5);
      }
    }
  }

  /**
   * Two documents of 32 tokens, window 1, global tokens at 20 and 45 (one per document), blocks of
   * 8, one block per task: each document's global query block reaches its document's key blocks
   * only, its global key is gathered into its own document's tiles, and no block pair crosses the
   * documents (not even the band's at the boundary: 31 and 32 are in different documents).
   */
  @Test
  void blockPairsAcrossDocumentsGetNoTask() {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {64},
            SequenceMasks.of(new long[][] {{0, 32}}, new long[][] {{20, 45}}),
            PlanOptions.builder()
                .strategy(Strategy.BLOCKS)
                .mask(Mask.window(1))
                .blockSize(8)
                .tiles(1, 1)
                .build());
    TreeSet<String> pairs = new TreeSet<>();
    for (TileTask t : plan.tasks()) {
      pairs.add(t.qStart() / 8 + "," + t.kStart() / 8);
      assertEquals(t.qStart() < 32, t.kStart() < 32, "task " + t + " stays in its document");
    }
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 8; i++) {
      for (int j = 0; j < 8; j++) {
        boolean sameDoc = (i < 4) == (j < 4);
        int g = i < 4 ? 2 : 5; // the document's global block
        if (sameDoc && (i == g || j == g || Math.abs(i - j) <= 1)) {
          expected.add(i + "," + j);
        }
      }
    }
    assertEquals(expected, pairs);
    // per document: the window's pairs (3 per query, 2 at the ends), the global query's other 29
    // keys, and the global key for the 29 queries whose window misses it
    long perDocument = (32 * 3 - 2) + 29 + 29;
    assertEquals(2 * perDocument, plan.attendedPairs());
    assertTrue(plan.hasSegments());
  }
}
