package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.kernel.Mask;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plan against brute force: every allowed (query, key, head) is covered by exactly one task,
 * every query by at least one, tasks hold no unreachable keys, routing finds exactly the tasks
 * whose ranges hold a position, and the work estimate counts the allowed pairs.
 */
class AttentionPlanTest {

  /** The mask's rule written out independently of {@link Mask}. */
  static boolean allowed(Mask m, long q, long k) {
    int w = m.window();
    switch (m.kind()) {
      case NONE:
        return true;
      case CAUSAL:
        return k <= q;
      case WINDOW:
        return Math.abs(q - k) <= w;
      default:
        return k <= q && k >= q - w;
    }
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(3);
    Mask[] masks = {
      Mask.none(),
      Mask.causal(),
      Mask.window(0),
      Mask.window(1),
      Mask.window(5),
      Mask.window(40),
      Mask.causalWindow(0),
      Mask.causalWindow(3),
      Mask.causalWindow(40)
    };
    int[] blocks = {1, 3, 7, 64};
    long[][] lengthSets = {{1}, {2}, {7}, {63}, {64}, {65}, {150}, {1, 7, 65, 150}};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        for (int i = 0; i < 6; i++) {
          int b = blocks[rnd.nextInt(blocks.length)];
          int heads = new int[] {1, 2, 4}[rnd.nextInt(3)];
          long[] lengths = lengthSets[rnd.nextInt(lengthSets.length)];
          if (b == 1 && lengths.length == 1 && lengths[0] > 65) {
            lengths = new long[] {33}; // one task per token pair: keep the brute force small
          }
          out.add(Arguments.of(s, m, b, heads, 1 + rnd.nextInt(5), 1 + rnd.nextInt(5), lengths));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} B={2} H={3} tiles {4}x{5}")
  @MethodSource("configs")
  void coversEveryAllowedPairExactlyOnce(
      Strategy s, Mask m, int b, int heads, int qTiles, int kTiles, long[] lengths) {
    AttentionPlan plan =
        AttentionPlan.create(
            lengths,
            PlanOptions.builder()
                .strategy(s)
                .mask(m)
                .blockSize(b)
                .numHeads(heads)
                .tiles(qTiles, kTiles)
                .build());
    List<TileTask> tasks = plan.tasks();
    for (int id = 0; id < tasks.size(); id++) {
      assertEquals(id, tasks.get(id).id(), "ids are dense and ordered");
    }
    for (int seq = 0; seq < lengths.length; seq++) {
      long n = lengths[seq];
      final int sq = seq;
      List<TileTask> own = tasks.stream().filter(t -> t.seqIndex() == sq).toList();
      for (long q = 0; q < n; q++) {
        for (int h = 0; h < heads; h++) {
          List<TileTask> rowTasks = new ArrayList<>();
          for (TileTask t : own) {
            if (h >= t.headStart() && h < t.headEnd() && q >= t.qStart() && q < t.qEnd()) {
              rowTasks.add(t);
            }
          }
          assertTrue(
              !rowTasks.isEmpty(), "query " + q + " head " + h + " of seq " + seq + " has a task");
          for (long k = 0; k < n; k++) {
            int covering = 0;
            for (TileTask t : rowTasks) {
              if (k >= t.kStart() && k < t.kEnd()) {
                covering++;
              }
            }
            if (allowed(m, q, k)) {
              assertEquals(1, covering, "allowed pair (" + q + ", " + k + ") covered once");
            }
          }
        }
      }
    }
    for (TileTask t : tasks) {
      long pairs = 0;
      for (long q = t.qStart(); q < t.qEnd(); q++) {
        for (long k = t.kStart(); k < t.kEnd(); k++) {
          if (allowed(m, q, k)) {
            pairs++;
          }
        }
      }
      assertEquals(pairs, t.attendedPairs(), "attended pairs of " + t);
      for (long k = t.kStart(); k < t.kEnd(); k++) {
        boolean reachable = false;
        for (long q = t.qStart(); q < t.qEnd() && !reachable; q++) {
          reachable = allowed(m, q, k);
        }
        assertTrue(reachable, "key " + k + " of " + t + " is reachable by one of its queries");
      }
      int sharing = 0;
      for (TileTask o : tasks) {
        if (o.seqIndex() == t.seqIndex() && o.qStart() == t.qStart()) {
          sharing++;
        }
      }
      assertEquals(sharing, plan.partsPerQuery(t), "parts per query of " + t);
    }
  }

  @ParameterizedTest(name = "{0} {1} B={2} H={3} tiles {4}x{5}")
  @MethodSource("configs")
  void routingFindsExactlyTheTasksHoldingAPosition(
      Strategy s, Mask m, int b, int heads, int qTiles, int kTiles, long[] lengths) {
    AttentionPlan plan =
        AttentionPlan.create(
            lengths,
            PlanOptions.builder()
                .strategy(s)
                .mask(m)
                .blockSize(b)
                .numHeads(heads)
                .tiles(qTiles, kTiles)
                .build());
    for (int seq = 0; seq < lengths.length; seq++) {
      for (long p = 0; p < lengths[seq]; p++) {
        TreeSet<Integer> asQuery = new TreeSet<>();
        TreeSet<Integer> asKey = new TreeSet<>();
        for (TileTask t : plan.tasks()) {
          if (t.seqIndex() == seq && p >= t.qStart() && p < t.qEnd()) {
            asQuery.add(t.id());
          }
          if (t.seqIndex() == seq && p >= t.kStart() && p < t.kEnd()) {
            asKey.add(t.id());
          }
        }
        TreeSet<Integer> routedQ = new TreeSet<>();
        TreeSet<Integer> routedK = new TreeSet<>();
        List<Integer> all = new ArrayList<>();
        plan.forEachQueryTask(
            seq,
            p,
            id -> {
              routedQ.add(id);
              all.add(id);
            });
        plan.forEachKeyTask(seq, p, routedK::add);
        assertEquals(asQuery, routedQ, "query routes of seq " + seq + " pos " + p);
        assertEquals(asKey, routedK, "key routes of seq " + seq + " pos " + p);
        assertEquals(routedQ.size(), all.size(), "no task named twice");
      }
    }
  }

  static Stream<Arguments> crossConfigs() {
    List<Arguments> out = new ArrayList<>();
    long[][][] lengthPairs = {
      {{1}, {1}}, {{1}, {40}}, {{40}, {1}}, {{7}, {65}}, {{65}, {7}}, {{1, 30, 65}, {17, 1, 100}}
    };
    int i = 0;
    for (Strategy s : new Strategy[] {Strategy.SINGLE, Strategy.BLOCKS, Strategy.HEADS}) {
      for (long[][] pair : lengthPairs) {
        int b = new int[] {1, 3, 16}[i % 3];
        if (b == 1 && pair[0].length > 1) {
          b = 4; // keep the brute force small
        }
        out.add(Arguments.of(s, b, 1 + i % 2 * 3, 1 + i % 3, 1 + i % 4, pair[0], pair[1]));
        i++;
      }
    }
    return out.stream();
  }

  /**
   * Cross-attention plans (query and key lengths apart): every (query, key, head) covered exactly
   * once, routing by role against the tasks' own ranges, a key position beyond the key length
   * refused even where the query length reaches it.
   */
  @ParameterizedTest(name = "{0} B={1} H={2} tiles {3}x{4} q={5} k={6}")
  @MethodSource("crossConfigs")
  void crossPlansCoverEveryQueryKeyPairOnce(
      Strategy s, int b, int heads, int qTiles, int kTiles, long[] qLengths, long[] kLengths) {
    AttentionPlan plan =
        AttentionPlan.create(
            qLengths,
            kLengths,
            PlanOptions.builder()
                .strategy(s)
                .blockSize(b)
                .numHeads(heads)
                .tiles(qTiles, kTiles)
                .build());
    for (int seq = 0; seq < qLengths.length; seq++) {
      assertEquals(qLengths[seq], plan.queryLength(seq));
      assertEquals(kLengths[seq], plan.keyLength(seq));
      int[][][] covered = new int[(int) qLengths[seq]][(int) kLengths[seq]][heads];
      for (TileTask t : plan.tasks()) {
        if (t.seqIndex() != seq) {
          continue;
        }
        assertTrue(t.qEnd() <= qLengths[seq] && t.kEnd() <= kLengths[seq], t.toString());
        assertEquals(t.queryCount() * t.keyCount(), t.attendedPairs(), "pairs of " + t);
        for (long q = t.qStart(); q < t.qEnd(); q++) {
          for (long k = t.kStart(); k < t.kEnd(); k++) {
            for (int h = t.headStart(); h < t.headEnd(); h++) {
              covered[(int) q][(int) k][h]++;
            }
          }
        }
      }
      for (int q = 0; q < qLengths[seq]; q++) {
        for (int k = 0; k < kLengths[seq]; k++) {
          for (int h = 0; h < heads; h++) {
            assertEquals(1, covered[q][k][h], "seq " + seq + " (" + q + ", " + k + ") head " + h);
          }
        }
      }
      for (String role : new String[] {"query", "key"}) {
        long n = role.equals("query") ? qLengths[seq] : kLengths[seq];
        for (long p = 0; p < n; p++) {
          TreeSet<Integer> want = new TreeSet<>();
          for (TileTask t : plan.tasks()) {
            long lo = role.equals("query") ? t.qStart() : t.kStart();
            long hi = role.equals("query") ? t.qEnd() : t.kEnd();
            if (t.seqIndex() == seq && p >= lo && p < hi) {
              want.add(t.id());
            }
          }
          TreeSet<Integer> routed = new TreeSet<>();
          if (role.equals("query")) {
            plan.forEachQueryTask(seq, p, routed::add);
          } else {
            plan.forEachKeyTask(seq, p, routed::add);
          }
          assertEquals(want, routed, role + " routes of seq " + seq + " pos " + p);
        }
      }
      final int sq = seq;
      assertThrows(
          IllegalArgumentException.class,
          () -> plan.forEachKeyTask(sq, kLengths[sq], id -> {}),
          "key position past the key length");
      assertThrows(
          IllegalArgumentException.class,
          () -> plan.forEachQueryTask(sq, qLengths[sq], id -> {}),
          "query position past the query length");
    }
  }

  @Test
  void planDependsOnlyOnLengthsAndOptions() {
    PlanOptions o =
        PlanOptions.builder()
            .strategy(Strategy.BLOCKS)
            .mask(Mask.causal())
            .blockSize(16)
            .numHeads(2)
            .tiles(2, 3)
            .build();
    long[] lengths = {5, 300, 1000};
    assertEquals(
        AttentionPlan.create(lengths, o).tasks(), AttentionPlan.create(lengths, o).tasks());
  }

  @Test
  void needsMergeOnlyWhenAQueryHasSeveralParts() {
    long[] n = {1000};
    assertFalse(
        AttentionPlan.create(
                n, PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(64).build())
            .needsMerge());
    assertTrue(
        AttentionPlan.create(
                n,
                PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(64).tiles(1, 2).build())
            .needsMerge());
    assertTrue(
        AttentionPlan.create(
                n, PlanOptions.builder().strategy(Strategy.HEADS).blockSize(64).numHeads(4).build())
            .needsMerge());
    assertFalse(
        AttentionPlan.create(
                n,
                PlanOptions.builder()
                    .strategy(Strategy.WINDOW)
                    .mask(Mask.window(5))
                    .blockSize(64)
                    .build())
            .needsMerge());
  }

  @Test
  void causalBlocksSkipTheUpperTriangle() {
    // 8 blocks, tiles of 1 × 1 block: 8·9/2 = 36 of the 64 block pairs remain.
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {8 * 16},
            PlanOptions.builder()
                .strategy(Strategy.BLOCKS)
                .mask(Mask.causal())
                .blockSize(16)
                .tiles(1, 1)
                .build());
    assertEquals(36, plan.tasks().size());
  }

  @Test
  void badPlansAreRefusedWithAReason() {
    IllegalArgumentException window =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionPlan.create(
                    new long[] {10},
                    PlanOptions.builder().strategy(Strategy.WINDOW).blockSize(4).build()));
    assertTrue(window.getMessage().contains("window"), window.getMessage());
    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AttentionPlan.create(
                    new long[] {3, 0},
                    PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).build()));
    assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AttentionPlan.create(
                new long[] {3},
                PlanOptions.builder().strategy(Strategy.AUTO).blockSize(4).build()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AttentionPlan.create(
                new long[] {3},
                new long[] {3, 4},
                PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).build()));
    IllegalArgumentException block =
        assertThrows(
            IllegalArgumentException.class,
            () -> PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(0).build());
    assertTrue(block.getMessage().contains("block size"), block.getMessage());
    IllegalArgumentException heads =
        assertThrows(
            IllegalArgumentException.class,
            () -> PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).numHeads(0).build());
    assertTrue(heads.getMessage().contains("heads"), heads.getMessage());
    IllegalArgumentException tiles =
        assertThrows(
            IllegalArgumentException.class,
            () -> PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(4).tiles(0, 2).build());
    assertTrue(tiles.getMessage().contains("tile"), tiles.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PlanOptions.builder().blockSize(4).build());
    IllegalArgumentException strategy =
        assertThrows(IllegalArgumentException.class, () -> Strategy.parse("ring"));
    assertTrue(strategy.getMessage().contains("ring") && strategy.getMessage().contains("blocks"));
    assertEquals(Strategy.BLOCKS, Strategy.parse(" Blocks "));
  }

  @Test
  void optionsHaveDefaultsAndValueEquality() {
    PlanOptions o = PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(8).build();
    assertEquals(Mask.none(), o.mask());
    assertEquals(1, o.numHeads());
    assertEquals(PlanOptions.DEFAULT_QUERY_TILE_BLOCKS, o.queryTileBlocks());
    assertEquals(PlanOptions.DEFAULT_KEY_TILE_BLOCKS, o.keyTileBlocks());
    PlanOptions same =
        PlanOptions.builder()
            .strategy(Strategy.BLOCKS)
            .mask(Mask.none())
            .blockSize(8)
            .numHeads(1)
            .tiles(PlanOptions.DEFAULT_QUERY_TILE_BLOCKS, PlanOptions.DEFAULT_KEY_TILE_BLOCKS)
            .build();
    assertEquals(o, same);
    assertEquals(o.hashCode(), same.hashCode());
    assertFalse(o.equals(PlanOptions.builder().strategy(Strategy.HEADS).blockSize(8).build()));
  }
}
