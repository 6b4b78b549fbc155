package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The local-p plan against brute force over seeded centres (spread out, clustered in one block,
 * piled at both ends): each query goes to the tasks of one tile, whose keys cover its whole window
 * exactly once per head; each key goes to exactly the tasks holding it; each task receives exactly
 * its queries, at most a tile's worth; the work estimate sums the windows exactly.
 */
class LocalPPlanTest {

  /** How a test spreads the centres over [0, n]. */
  enum Spread {
    UNIFORM,
    CLUSTERED,
    ENDS,
    DIAGONAL
  }

  static double[] centres(Random rnd, long n, Spread spread) {
    double[] c = new double[(int) n];
    for (int t = 0; t < n; t++) {
      switch (spread) {
        case UNIFORM:
          c[t] = rnd.nextDouble() * n;
          break;
        case CLUSTERED:
          c[t] = n / 2.0 + rnd.nextDouble(); // every centre in one or two blocks
          break;
        case ENDS:
          c[t] = rnd.nextBoolean() ? n * rnd.nextDouble() * 1e-3 : n - rnd.nextDouble() * 0.5;
          break;
        default:
          c[t] = Math.min(n, t + rnd.nextDouble()); // like local-m
      }
    }
    return c;
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(17);
    long[][] lengthSets = {{1}, {2}, {37}, {64}, {150}, {1, 9, 65, 150}, {300, 5}};
    Strategy[] strategies = {Strategy.SINGLE, Strategy.BLOCKS, Strategy.HEADS};
    for (Spread spread : Spread.values()) {
      for (Strategy s : strategies) {
        for (int i = 0; i < 4; i++) {
          out.add(
              Arguments.of(
                  s,
                  spread,
                  new int[] {1, 4, 7, 16}[rnd.nextInt(4)],
                  new int[] {1, 2, 4}[rnd.nextInt(3)],
                  new int[] {1, 2, 5, 30}[rnd.nextInt(4)],
                  1 + rnd.nextInt(3),
                  1 + rnd.nextInt(3),
                  lengthSets[rnd.nextInt(lengthSets.length)]));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} B={2} H={3} D={4} tiles {5}x{6}")
  @MethodSource("configs")
  void routesEveryWindowExactlyOnce(
      Strategy strategy,
      Spread spread,
      int blockSize,
      int heads,
      int D,
      int qTiles,
      int kTiles,
      long[] lengths) {
    Random rnd = new Random(blockSize * 1000L + D * 10L + heads);
    PlanOptions options =
        PlanOptions.builder()
            .strategy(strategy)
            .blockSize(blockSize)
            .numHeads(heads)
            .tiles(qTiles, kTiles)
            .build();
    long chunkRows = (long) blockSize * qTiles;
    double[][] c = new double[lengths.length][];
    // cells built in two halves and merged: the order of adding must not matter
    LocalPCells a = new LocalPCells(lengths, D, blockSize, chunkRows);
    LocalPCells b = new LocalPCells(lengths, D, blockSize, chunkRows);
    long windows = 0;
    for (int s = 0; s < lengths.length; s++) {
      c[s] = centres(rnd, lengths[s], spread);
      for (int t = 0; t < lengths[s]; t++) {
        (t % 2 == 0 ? a : b).add(s, t, c[s][t]);
        windows += hi(c[s][t], D, lengths[s]) - lo(c[s][t], D) + 1;
      }
    }
    AttentionPlan plan = AttentionPlan.createLocalP(lengths, options, b.merge(a));
    assertTrue(plan.isLocalP());
    assertEquals(D, plan.localPWindow());
    int groups = strategy == Strategy.HEADS ? heads : 1;
    assertEquals(
        windows * groups, plan.attendedPairs(), "the work estimate sums the windows (per group)");

    Map<Integer, Integer> received = new HashMap<>();
    for (int s = 0; s < lengths.length; s++) {
      long n = lengths[s];
      // keys: exactly the tasks whose range holds the key
      for (long k = 0; k < n; k++) {
        Set<Integer> got = new HashSet<>();
        final int seq = s;
        plan.forEachKeyTask(s, k, got::add);
        Set<Integer> want = new HashSet<>();
        for (TileTask t : plan.tasks()) {
          if (t.seqIndex() == seq && k >= t.kStart() && k < t.kEnd()) {
            want.add(t.id());
          }
        }
        assertEquals(want, got, "tasks of key " + k + " of sequence " + s);
      }
      for (int t = 0; t < n; t++) {
        List<Integer> ids = new ArrayList<>();
        plan.forEachQueryTask(s, t, c[s][t], ids::add);
        assertTrue(!ids.isEmpty(), "query " + t + " goes nowhere");
        // one tile: every task of it has the same queries, and the parts count is its task count
        for (int id : ids) {
          TileTask task = plan.task(id);
          assertEquals(s, task.seqIndex());
          assertEquals(ids.size(), plan.partsPerQuery(task), "parts of query " + t);
          assertTrue(t >= task.qStart() && t < task.qEnd(), "query inside the task's span");
          received.merge(id, 1, Integer::sum);
        }
        // per head group, the tasks' key ranges cover the window once
        long lo = lo(c[s][t], D);
        long hi = hi(c[s][t], D, n);
        for (int hg = 0; hg < groups; hg++) {
          for (long k = lo; k <= hi; k++) {
            int covering = 0;
            for (int id : ids) {
              TileTask task = plan.task(id);
              if (task.headGroup() == hg && k >= task.kStart() && k < task.kEnd()) {
                covering++;
              }
            }
            assertEquals(1, covering, "key " + k + " of query " + t + " head group " + hg);
          }
        }
      }
    }
    for (TileTask t : plan.tasks()) {
      assertEquals(t.queryCount(), (long) received.getOrDefault(t.id(), 0), "queries of " + t);
      if (strategy != Strategy.SINGLE) {
        assertTrue(t.queryCount() <= chunkRows, "tile bounded: " + t);
        assertTrue(t.keyCount() <= (long) blockSize * kTiles, "key group bounded: " + t);
      }
      assertEquals(groups == 1 ? heads : 1, t.headCount());
    }
    if (strategy == Strategy.SINGLE) {
      for (TileTask t : plan.tasks()) {
        assertEquals(lengths[t.seqIndex()], t.queryCount(), "single: one tile per sequence");
        assertEquals(1, plan.partsPerQuery(t));
      }
    }
  }

  @Test
  void nearbyCentresShareTilesAndKeysAreNotSentFar() {
    // Local-m-like centres over 1,000 tokens, D = 3, blocks of 10, tiles of 20 queries, key
    // groups of 20: each key reaches at most the tiles of its neighbourhood, not all 50.
    long n = 1000;
    double[] c = centres(new Random(1), n, Spread.DIAGONAL);
    LocalPCells cells = new LocalPCells(new long[] {n}, 3, 10, 20);
    for (int t = 0; t < n; t++) {
      cells.add(0, t, c[t]);
    }
    AttentionPlan plan =
        AttentionPlan.createLocalP(
            new long[] {n},
            PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(10).tiles(2, 2).build(),
            cells);
    long routedKeys = 0;
    for (TileTask t : plan.tasks()) {
      routedKeys += t.keyCount();
    }
    assertTrue(routedKeys < 2 * n, "keys routed " + routedKeys + " times for " + n + " keys");
    assertTrue(plan.tasks().size() >= 50, plan.toString());
  }

  @Test
  void refusesTheWindowStrategyAndMismatchedCells() {
    long[] lengths = {10};
    LocalPCells cells = new LocalPCells(lengths, 2, 4, 8);
    for (int t = 0; t < 10; t++) {
      cells.add(0, t, t);
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionPlan.createLocalP(
                    lengths,
                    PlanOptions.builder()
                        .strategy(Strategy.WINDOW)
                        .blockSize(4)
                        .tiles(2, 2)
                        .build(),
                    cells));
    assertTrue(
        e.getMessage().contains("local-p runs with single, blocks or heads"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionPlan.createLocalP(
                    lengths,
                    PlanOptions.builder()
                        .strategy(Strategy.BLOCKS)
                        .blockSize(4)
                        .tiles(3, 2)
                        .build(),
                    cells));
    assertTrue(e.getMessage().contains("chunks of 8 rows"), e.getMessage());
    LocalPCells missing = new LocalPCells(lengths, 2, 4, 8);
    missing.add(0, 3, 1.5);
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionPlan.createLocalP(
                    lengths,
                    PlanOptions.builder()
                        .strategy(Strategy.BLOCKS)
                        .blockSize(4)
                        .tiles(2, 2)
                        .build(),
                    missing));
    assertTrue(e.getMessage().contains("count 1 queries for sequence 0 of length 10"));
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> cells.add(0, 10, 1.0)),
        "query position 10 is outside 0..9 of sequence 0");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> cells.add(0, 1, Double.NaN)),
        "centre of sequence 0 pos 1 is NaN");
    AttentionPlan plan =
        AttentionPlan.createLocalP(
            lengths,
            PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).tiles(2, 2).build(),
            cells);
    assertMessage(
        assertThrows(IllegalStateException.class, () -> plan.forEachQueryTask(0, 1, id -> {})),
        "a local-p plan routes queries by their centres");
  }

  private static void assertMessage(Exception e, String expected) {
    assertTrue(e.getMessage().contains(expected), "'" + expected + "' not in: " + e.getMessage());
  }

  @Test
  void windowEdgesFollowCeilAndFloorClippedToTheSequence() {
    assertEquals(0, LocalPCells.windowLo(0.4, 2));
    assertEquals(2, LocalPCells.windowLo(2.5, 1)); // ceil(1.5)
    assertEquals(2, LocalPCells.windowLo(3.0, 1));
    assertEquals(3, LocalPCells.windowHi(2.5, 1, 10)); // floor(3.5)
    assertEquals(9, LocalPCells.windowHi(10.0, 2, 10));
    assertEquals(4, LocalPCells.windowHi(3.0, 1, 10));
  }

  static long lo(double c, int D) {
    return Math.max(0, (long) Math.ceil(c - D));
  }

  static long hi(double c, int D, long n) {
    return Math.min(n - 1, (long) Math.floor(c + D));
  }
}
