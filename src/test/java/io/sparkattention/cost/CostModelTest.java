package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import org.junit.jupiter.api.Test;

/** The model's formulas on small cases worked out by hand. */
class CostModelTest {
  private static final CostModel.Framing NO_FRAMING = CostModel.Framing.NONE;

  private static CostEstimate estimate(
      long n, Strategy s, Mask m, int b, int heads, int qTiles, int kTiles, int d) {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {n},
            PlanOptions.builder()
                .strategy(s)
                .mask(m)
                .blockSize(b)
                .numHeads(heads)
                .tiles(qTiles, kTiles)
                .build());
    return CostModel.estimate(plan, CostModel.Widths.self(d), NO_FRAMING);
  }

  @Test
  void globalFlopsAreFourNSquaredD() {
    // n = 8, d = 2: 64 pairs × (2·2 for q·k + 2·2 for p·v) = 512 = 4·n²·d.
    CostEstimate e = estimate(8, Strategy.SINGLE, Mask.none(), 4, 1, 1, 1, 2);
    assertEquals(4.0 * 8 * 8 * 2, e.usefulFlops());
    assertEquals(e.usefulFlops(), e.executedFlops());
  }

  @Test
  void hardAttentionComputesScoresButNoValueProduct() {
    // n = 8, d = 2, one head: 64 pairs × 2·2 (q·k only) = 256, half of softmax's 512; 64 scores.
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {8},
            PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).tiles(1, 1).build());
    CostEstimate hard = CostModel.estimate(plan, CostModel.Widths.self(2), NO_FRAMING, true);
    CostEstimate soft = CostModel.estimate(plan, CostModel.Widths.self(2), NO_FRAMING, false);
    assertEquals(256.0, hard.usefulFlops());
    assertEquals(256.0, hard.executedFlops());
    assertEquals(512.0, soft.executedFlops());
    assertEquals(64.0, hard.executedScores());
    assertEquals(soft.shuffleBytes(), hard.shuffleBytes(), "the same states move");
    assertEquals(soft, CostModel.estimate(plan, CostModel.Widths.self(2), NO_FRAMING));
  }

  @Test
  void executedScoresCountComputedBlocksPerHead() {
    // n = 8 causal, blocks of 4, 2 heads in one task: 3 computed 4×4 blocks = 48 pairs × 2 heads
    CostEstimate e = estimate(8, Strategy.BLOCKS, Mask.causal(), 4, 2, 1, 1, 4);
    assertEquals(96.0, e.executedScores());
  }

  @Test
  void causalFlopsCountTheLowerTriangleAndExecutedCountsComputedBlocks() {
    // n = 8: causal pairs = 8·9/2 = 36 → 36·4·d. With blocks of 4, three of the four 4×4 block
    // pairs are computed (the one above the diagonal is skipped): 48 entries.
    CostEstimate e = estimate(8, Strategy.BLOCKS, Mask.causal(), 4, 1, 1, 1, 2);
    assertEquals(36 * 4.0 * 2, e.usefulFlops());
    assertEquals(48 * 4.0 * 2, e.executedFlops());
  }

  @Test
  void localFlopsAreAboutFourNTimesTwoWPlusOneD() {
    // n = 10, w = 1: pairs = 10·3 − 2 (edges) = 28.
    CostEstimate e = estimate(10, Strategy.WINDOW, Mask.window(1), 4, 1, 1, 1, 2);
    assertEquals(28 * 4.0 * 2, e.usefulFlops());
  }

  /**
   * Global tokens (Longformer): useful flops are exactly the allowed pairs (counted by brute force
   * with the fixtures' predicate) × 4·d, for every strategy; executed flops count the entries of
   * the kernel block pairs holding an allowed pair.
   */
  @Test
  void globalTokensCountExactlyTheAllowedPairs() {
    Mask[] masks = {
      Mask.window(1).withGlobalTokens(2),
      Mask.causalWindow(3).withGlobalTokens(5),
      Mask.causal().withGlobalTokens(1),
      Mask.window(0).withGlobalTokens(40)
    };
    int n = 29;
    int d = 2;
    int b = 4;
    for (Mask m : masks) {
      io.sparkattention.fixtures.Allowed allowed = io.sparkattention.fixtures.Allowed.of(m);
      long pairs = 0;
      for (long q = 0; q < n; q++) {
        for (long k = 0; k < n; k++) {
          pairs += allowed.test(q, k) ? 1 : 0;
        }
      }
      for (Strategy s : io.sparkattention.fixtures.StrategyMasks.STRATEGIES) {
        if (!io.sparkattention.fixtures.StrategyMasks.fits(s, m)) {
          continue;
        }
        CostEstimate e = estimate(n, s, m, b, 1, 2, 2, d);
        assertEquals(pairs * 4.0 * d, e.usefulFlops(), m + " " + s);
        AttentionPlan plan =
            AttentionPlan.create(
                new long[] {n},
                PlanOptions.builder().strategy(s).mask(m).blockSize(b).tiles(2, 2).build());
        long entries = 0;
        for (io.sparkattention.plan.TileTask t : plan.tasks()) {
          for (long q0 = t.qStart(); q0 < t.qEnd(); q0 += b) {
            for (long k0 = t.kStart(); k0 < t.kEnd(); k0 += b) {
              long q1 = Math.min(t.qEnd(), q0 + b);
              long k1 = Math.min(t.kEnd(), k0 + b);
              boolean any = false;
              for (long q = q0; q < q1; q++) {
                for (long k = k0; k < k1; k++) {
                  any |= allowed.test(q, k);
                }
              }
              entries += any ? (q1 - q0) * (k1 - k0) : 0;
            }
          }
        }
        assertEquals(entries * 4.0 * d, e.executedFlops(), m + " " + s);
      }
    }
  }

  @Test
  void headsSplitTheFlopsButNotTheirSum() {
    CostEstimate one = estimate(16, Strategy.SINGLE, Mask.none(), 4, 1, 1, 1, 8);
    CostEstimate four = estimate(16, Strategy.HEADS, Mask.none(), 4, 4, 1, 1, 8);
    assertEquals(one.usefulFlops(), four.usefulFlops());
  }

  @Test
  void shuffleBytesFollowTheCut() {
    // n = 8, block 2, tiles of 1 block × 2 blocks: 4 query tiles × 2 key groups = 8 tasks, each
    // with 2 queries and 4 keys: 48 routed records of d = 3 doubles (24 bytes) = 1152 bytes;
    // partials: 8 tasks × 2 queries, each 2 + 3 doubles (40 bytes) = 640 bytes.
    CostEstimate e = estimate(8, Strategy.BLOCKS, Mask.none(), 2, 1, 1, 2, 3);
    assertEquals(8, e.tasks());
    assertEquals(48, e.routedRecords());
    assertEquals(48 * 24, e.routedBytes());
    assertEquals(16, e.partialRecords());
    assertEquals(16 * 40, e.partialBytes());
    assertEquals(48 * 24 + 16 * 40, e.shuffleBytes());
  }

  @Test
  void framingIsAddedPerRecord() {
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {8},
            PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(2).tiles(1, 2).build());
    CostEstimate bare = CostModel.estimate(plan, CostModel.Widths.self(3), NO_FRAMING);
    CostEstimate framed =
        CostModel.estimate(plan, CostModel.Widths.self(3), new CostModel.Framing(10, 20, 10));
    assertEquals(bare.routedBytes() + 48 * 10, framed.routedBytes());
    assertEquals(bare.partialBytes() + 16 * 20, framed.partialBytes());
  }

  @Test
  void singleTaskWithoutMergeShufflesOnlyRoutedTokens() {
    // One task: each token once as a query and once as a key; nothing merges.
    CostEstimate e = estimate(5, Strategy.SINGLE, Mask.none(), 4, 1, 1, 1, 2);
    assertEquals(10, e.routedRecords());
    assertEquals(0, e.partialRecords());
  }

  @Test
  void peakTaskMemoryHoldsTileStateKeyBlockAndScores() {
    // One task, n = 4, block 2, d = 1: tile 4 × (1 + 1 + 1 + 2) = 20 doubles, key block
    // 2 × 3 = 6, score block 2 × 2 = 4: 30 doubles = 240 bytes.
    CostEstimate e = estimate(4, Strategy.SINGLE, Mask.none(), 2, 1, 1, 1, 1);
    assertEquals(240, e.peakTaskBytes());
  }

  @Test
  void groupedQueryAttentionHoldsNarrowerKeysAndValuesWithTheSameFlops() {
    // 4 query heads of 2 sharing 2 key/value heads (head split: one group per task). Per task:
    // 8 queries × (input 8 + queries 8/2 + values 8/2 + 2·2 heads) + a key block of 4 × (keys and
    // values (4 + 4)/2, shipped projected as fewer than the 8 raw [MHA: input 8 + (8 + 8)/2, raw
    // shipped as 8 is not fewer than 8]) + 4 × 4 scores.
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {8},
            PlanOptions.builder()
                .strategy(Strategy.HEADS)
                .blockSize(4)
                .numHeads(4)
                .kvHeads(2)
                .tiles(2, 2)
                .build());
    assertEquals(2, plan.tasks().size());
    CostEstimate mha = CostModel.estimate(plan, new CostModel.Widths(8, 8, 8, 8), NO_FRAMING);
    CostEstimate gqa = CostModel.estimate(plan, new CostModel.Widths(8, 8, 8, 8, 4, 4), NO_FRAMING);
    assertEquals(mha.usefulFlops(), gqa.usefulFlops());
    assertEquals(8L * (8 * (8 + 4 + 4 + 4) + 4 * 4 + 16), gqa.peakTaskBytes());
    assertEquals(8L * (8 * (8 + 4 + 4 + 4) + 4 * (8 + 8) + 16), mha.peakTaskBytes());
    // routed: 2 tasks × (8 queries of 8 doubles + 8 keys of 8 raw [GQA: 4 projected] doubles)
    assertEquals(2 * 8L * (8 * 8 + 8 * 8), mha.routedBytes());
    assertEquals(2 * 8L * (8 * 8 + 8 * 4), gqa.routedBytes());
  }

  @Test
  void crossAttentionCountsQueryAndKeyWidthsApart() {
    // 6 queries of width 3 over 10 keys of width 5, block 2, tiles 1 × 2 blocks: 3 query tiles
    // × 3 key groups (4, 4, 2 keys) = 9 tasks. Routed: each query to 3 tasks (18 records of 24
    // bytes), each key to 3 tasks (30 records of 40 bytes). Pairs 6 × 10 = 60, d = 4 after the
    // projections: 60 × (2·4 + 2·4) FLOPs.
    AttentionPlan plan =
        AttentionPlan.create(
            new long[] {6},
            new long[] {10},
            PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(2).tiles(1, 2).build());
    CostEstimate e = CostModel.estimate(plan, new CostModel.Widths(3, 5, 4, 4), NO_FRAMING);
    assertEquals(9, e.tasks());
    assertEquals(48, e.routedRecords());
    assertEquals(18 * 24 + 30 * 40, e.routedBytes());
    assertEquals(60 * 16.0, e.usefulFlops());
    // partials: 9 tasks × 2 queries, each 2 + 4 doubles
    assertEquals(18 * 48, e.partialBytes());
    // a task: tile 2 × (3 + 4 + 4 + 2), key block 2 × (5 + 4 + 4), scores 2 × 2
    assertEquals(8 * (2 * 13 + 2 * 13 + 4), e.peakTaskBytes());
    // equal widths: the self-attention widths agree
    assertEquals(
        CostModel.estimate(plan, new CostModel.Widths(3, 3, 4, 4), NO_FRAMING),
        CostModel.estimate(plan, CostModel.Widths.self(3, 4, 4), NO_FRAMING));
  }

  @Test
  void pyramidAddsItsReduceShuffleToAttentionOverTheTopLevel() {
    // n = 9, d = 2, L = 2: the top level has ceil(9/4) = 3 steps of width 8. One single task over
    // them: 3 queries + 3 keys routed, 6 records of 8 doubles (64 bytes) + 10 framing = 444 bytes.
    // The reduce stage ships all 9 input tokens once: 9 × (2 doubles + 7 framing) = 207 bytes.
    // FLOPs: 9 pairs × (2·8 + 2·8) = 288.
    AttentionPlan top =
        AttentionPlan.create(
            new long[] {3},
            PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).tiles(1, 1).build());
    CostModel.Framing framing = new CostModel.Framing(10, 20, 7);
    CostEstimate e = CostModel.estimatePyramid(top, CostModel.Widths.self(8), 2, 9, framing);
    assertEquals(9, e.reduceRecords());
    assertEquals(9 * (16 + 7), e.reduceBytes());
    assertEquals(6, e.routedRecords());
    assertEquals(6 * (64 + 10), e.routedBytes());
    assertEquals(0, e.partialBytes());
    assertEquals(9 * (16 + 7) + 6 * (64 + 10), e.shuffleBytes());
    assertEquals(288.0, e.usefulFlops());
    // The time model counts the reduce stage's bytes too: 651 bytes at 1 byte/s on one slot.
    TimeModel t = new TimeModel(1e300, 1e300, 1.0, 0, 0, 1, 1L << 30);
    assertEquals(651, t.terms(e).shuffleSeconds(), 1e-6);
  }

  @Test
  void pyramidNeedsItsTopWidthsToBeTwoToTheLTimesTheInputs() {
    AttentionPlan top =
        AttentionPlan.create(
            new long[] {3}, PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(4).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> CostModel.estimatePyramid(top, CostModel.Widths.self(6), 2, 9, NO_FRAMING));
    assertThrows(
        IllegalArgumentException.class,
        () -> CostModel.estimatePyramid(top, new CostModel.Widths(8, 4, 8, 8), 2, 9, NO_FRAMING));
    assertThrows(
        IllegalArgumentException.class,
        () -> CostModel.estimatePyramid(top, CostModel.Widths.self(8), 0, 9, NO_FRAMING));
  }

  @Test
  void badFiguresAreRefusedWhereTheyAreMade() {
    IllegalArgumentException width =
        assertThrows(IllegalArgumentException.class, () -> CostModel.Widths.self(3, 0, 3));
    assertTrue(width.getMessage().contains("query 0"), width.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CostModel.Framing(0, -1, 0));
    IllegalArgumentException bytes =
        assertThrows(
            IllegalArgumentException.class, () -> CostEstimate.builder().routed(1, -8).build());
    assertTrue(bytes.getMessage().contains("routedBytes"), bytes.getMessage());
    CostEstimate e = CostEstimate.builder().tasks(2).reduce(3, 30).build();
    assertEquals(e, e.toBuilder().build());
  }

  @Test
  void costRowErrorsAreSigned() {
    CostRow r =
        new CostRow(
            "c", "global", "blocks", 8, 2, 1, 0, 4, 1, 1, 1000, 0, 0, 1, 100, 100, 0, 0, 2e9, 2e9,
            105, 0, 1500, 1);
    assertEquals(0.05, r.shuffleModelError(), 1e-12);
    assertEquals(0.5, r.timeModelError(), 1e-12);
    assertEquals(2.0, r.effectiveGflops(), 1e-12);
    assertEquals(CostRow.HEADER.size(), r.values().size());
    assertTrue(CostRow.HEADER.contains("shuffle_write_bytes"));
  }
}
