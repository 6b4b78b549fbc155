package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.plan.TaskBalancer;
import io.sparkattention.plan.TileTask;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver's planning of a corpus (issue 13) with the planner alone: a million sequences, plan,
 * cost estimate and balance. Complexity is asserted through sizes and counts (bytes of the plan per
 * sequence, tile objects only for long sequences, one balance item per task id), not wall time; the
 * timeouts only stop a quadratic regression (the old estimate took 541 s for 200,000 sequences)
 * from hanging the build.
 */
class CorpusPlanningTest {
  static final int BLOCK = 1024;

  /**
   * A seeded power law of lengths: P(n) ∝ n^−2 over 8 … 2,000 (most of tens of tokens), plus {@code
   * longOnes} sequences of 65,536.
   */
  static long[] powerLawLengths(int count, int longOnes, long seed) {
    Random rnd = new Random(seed);
    long[] lengths = new long[count];
    double lo = 8;
    double hi = 2000;
    for (int s = 0; s < count; s++) {
      // inverse CDF of the density ∝ n^−2 on [lo, hi]
      double u = rnd.nextDouble();
      lengths[s] = (long) Math.floor(1 / (1 / lo - u * (1 / lo - 1 / hi)));
    }
    for (int i = 0; i < longOnes; i++) {
      lengths[rnd.nextInt(count)] = 65536;
    }
    return lengths;
  }

  static PlanOptions options(Mask mask, boolean whole) {
    return PlanOptions.builder()
        .strategy(Strategy.BLOCKS)
        .mask(mask)
        .blockSize(BLOCK)
        .numHeads(2)
        .wholeSequences(whole)
        .build();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aMillionSequencesPlanInAFewBytesEach() throws IOException {
    int count = 1_000_000;
    long[] lengths = powerLawLengths(count, 3, 1);
    AttentionPlan plan = AttentionPlan.create(lengths, options(Mask.causal(), true));

    long whole = 0;
    long tokens = 0;
    for (long n : lengths) {
      whole += n <= BLOCK ? 1 : 0;
      tokens += n;
    }
    assertEquals(whole, plan.numWholeSequences());
    // Tile objects only for the sequences longer than a block: a few per long sequence.
    long tiled = count - whole;
    assertTrue(tiled > 0 && tiled < count / 50, tiled + " tiled sequences");
    for (TileTask t : plan.tasks()) {
      assertTrue(lengths[t.seqIndex()] > BLOCK, "a tile of a one-block sequence: " + t);
    }
    assertTrue(
        plan.tasks().size() <= 8 * tiled + 200,
        plan.tasks().size() + " tile tasks for " + tiled + " tiled sequences");

    // The plan ships to every executor: bytes per sequence, all included.
    long bytes = serializedBytes(plan);
    double perSequence = (bytes - 300.0 * plan.tasks().size()) / count;
    assertTrue(perSequence < 12, perSequence + " bytes per sequence (" + bytes + " in all)");

    // The estimate and the balance: one item per task id, the exact totals.
    CostEstimate e = CostModel.estimate(plan, CostModel.Widths.self(32), CostModel.Framing.NONE);
    assertEquals(plan.tasks().size() + whole, e.tasks());
    assertTrue(e.routedRecords() >= tokens, "every token is routed at least once");
    long[] costs = TaskBalancer.costs(plan);
    assertEquals(plan.numTaskIds(), costs.length);
    int[] placement = TaskBalancer.assign(costs, 4);
    assertEquals(costs.length, placement.length);
    double imbalance = TaskBalancer.imbalance(TaskBalancer.loads(costs, placement, 4));
    assertTrue(imbalance <= 1.2, "largest partition " + imbalance + " × the mean work");
  }

  /** Plan size grows linearly: four times the sequences, at most 4.2 times the bytes. */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void planBytesGrowLinearly() throws IOException {
    long small =
        serializedBytes(AttentionPlan.create(lengths16(250_000), options(Mask.causal(), true)));
    long large =
        serializedBytes(AttentionPlan.create(lengths16(1_000_000), options(Mask.causal(), true)));
    assertTrue(large <= 4.2 * small, small + " then " + large + " bytes");
  }

  /**
   * The case without the whole path (every sequence a tile task): 200,000 sequences of 16
   * tokens. The estimate asks needsMerge once; per task it was quadratic.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void estimateOfTwoHundredThousandTileTasksIsLinear() {
    AttentionPlan plan = AttentionPlan.create(lengths16(200_000), options(Mask.causal(), false));
    assertEquals(200_000, plan.tasks().size());
    CostEstimate e = CostModel.estimate(plan, CostModel.Widths.self(32), CostModel.Framing.NONE);
    assertEquals(200_000, e.tasks());
    assertEquals(2L * 200_000 * 16, e.routedRecords(), "queries and keys routed");
    int[] placement = TaskBalancer.assign(plan, 4);
    assertEquals(200_000 + 200_000, placement.length, "one slot per task id");
  }

  /** A power-law corpus with one 65,536-token sequence: within 1.2 × the mean on 4 partitions. */
  @Test
  void mixedCorpusIsBalancedByWork() {
    long[] lengths = powerLawLengths(20_000, 0, 3);
    lengths[17] = 65536;
    for (Mask mask : new Mask[] {Mask.none(), Mask.causal()}) {
      AttentionPlan plan = AttentionPlan.create(lengths, options(mask, true));
      for (int partitions : new int[] {2, 4}) {
        long[] costs = TaskBalancer.costs(plan);
        double imbalance =
            TaskBalancer.imbalance(
                TaskBalancer.loads(costs, TaskBalancer.assign(costs, partitions), partitions));
        assertTrue(imbalance <= 1.2, mask + " on " + partitions + ": " + imbalance);
      }
    }
  }

  static long[] lengths16(int count) {
    long[] lengths = new long[count];
    java.util.Arrays.fill(lengths, 16);
    return lengths;
  }

  static long serializedBytes(Object o) throws IOException {
    long[] count = {0};
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            count[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            count[0] += len;
          }
        };
    try (ObjectOutputStream out = new ObjectOutputStream(sink)) {
      out.writeObject(o);
    }
    return count[0];
  }
}
