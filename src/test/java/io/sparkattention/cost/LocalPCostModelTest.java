package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.TileTask;
import org.junit.jupiter.api.Test;

/** The cost model on local-p plans: work from the windows, shuffle from the actual cut. */
class LocalPCostModelTest {
  private static final CostModel.Framing NO_FRAMING = CostModel.Framing.NONE;

  /** Centres c_t = t (local-m-like) for one sequence of n tokens. */
  static AttentionPlan diagonal(long n, int D, Strategy s, int b, int qTiles, int kTiles) {
    LocalPCells cells = new LocalPCells(new long[] {n}, D, b, (long) b * qTiles);
    for (int t = 0; t < n; t++) {
      cells.add(0, t, t);
    }
    return AttentionPlan.createLocalP(
        new long[] {n},
        PlanOptions.builder().strategy(s).blockSize(b).tiles(qTiles, kTiles).build(),
        cells);
  }

  @Test
  void usefulFlopsCountTheClippedWindows() {
    // n = 10, D = 1, centres t: windows of 3 keys, 2 at the ends: 28 pairs × 4·d.
    CostEstimate e =
        CostModel.estimate(
            diagonal(10, 1, Strategy.SINGLE, 4, 1, 1), CostModel.Widths.self(2), NO_FRAMING);
    assertEquals(28 * 4.0 * 2, e.usefulFlops());
    // the blocks kernel computes whole blocks: at least the useful work
    assertTrue(e.executedFlops() >= e.usefulFlops());
  }

  @Test
  void workGrowsWithTheWindowNotTheLength() {
    // About (2D+1) keys per query: doubling n doubles the work (global attention would quadruple).
    CostEstimate small =
        CostModel.estimate(
            diagonal(4096, 8, Strategy.BLOCKS, 64, 4, 4), CostModel.Widths.self(8), NO_FRAMING);
    CostEstimate large =
        CostModel.estimate(
            diagonal(8192, 8, Strategy.BLOCKS, 64, 4, 4), CostModel.Widths.self(8), NO_FRAMING);
    assertEquals(2.0, large.usefulFlops() / small.usefulFlops(), 0.01);
    assertEquals(2.0, large.executedFlops() / small.executedFlops(), 0.05);
    // per query: (2D+1) keys useful, at most (ceil((2D+1)/b) + 1)·b keys computed
    assertEquals(17 * 4.0 * 8, small.usefulFlops() / 4096, 0.1 * 17 * 4 * 8);
    assertTrue(small.executedFlops() / 4096 <= 2 * 64 * 4.0 * 8 * (1 + 1e-12));
  }

  @Test
  void shuffleFollowsTheCut() {
    AttentionPlan plan = diagonal(100, 2, Strategy.BLOCKS, 8, 2, 2);
    CostEstimate e = CostModel.estimate(plan, CostModel.Widths.self(3), NO_FRAMING);
    // By hand. n = 100, D = 2, centre c_t = t, blocks of 8: query t sees keys [t−2, t+2] ∩ [0, 99].
    // Tiles gather centre blocks while they hold <= 16 queries (2 blocks): t = 16i … 16i+15 for
    // i = 0 … 5, and t = 96 … 99. A tile's keys are its windows' hull, cut at key groups of
    // 16 (multiples of 16), one task per group it touches, each task with all the tile's queries:
    //   tile 0:       keys 0 … 17                  -> 2 tasks (16 + 2 keys), 16 queries each
    //   tiles 1 … 5:  keys 16i−2 … 16i+17          -> 3 tasks (2 + 16 + 2 keys), 16 queries each
    //   tile 6:       keys 94 … 99                 -> 2 tasks (2 + 4 keys), 4 queries each
    // tasks 2 + 5·3 + 2 = 19; routed queries 2·16 + 15·16 + 2·4 = 280;
    // routed keys 18 + 5·20 + 6 = 124; every query has 2 or 3 parts, so all 280 are partials.
    assertEquals(19, e.tasks());
    assertEquals(280 + 124, e.routedRecords());
    assertEquals((280 + 124) * 3 * 8, e.routedBytes()); // 3 doubles a record, no framing
    assertEquals(280, e.partialRecords());
    // the peak task holds at most a tile of 2 blocks = 16 queries (not its positions' span):
    // 16 × (3 + 3 + 3 + 2) query doubles, 8 × 9 key-block doubles, an 8 × 8 score block
    long largest = 0;
    for (TileTask t : plan.tasks()) {
      assertTrue(t.queryCount() <= 16, t.toString());
      largest = Math.max(largest, t.queryCount());
    }
    assertEquals(16, largest);
    assertEquals(8 * (16 * 11 + 8 * 9 + 8 * 8), e.peakTaskBytes());
  }
}
