package io.sparkattention.spark.attention;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.CostEstimate;
import io.sparkattention.cost.CostModel;
import io.sparkattention.plan.AttentionPlan;
import io.sparkattention.plan.LocalPCells;
import io.sparkattention.plan.PlanOptions;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.InputException;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void perTaskShareFollowsSparksUnifiedMemory() {
    SparkConf conf = new SparkConf(false);
    // local: (1324 − 300) MiB × 0.6 / 2 threads = 307.2 MiB
    assertEquals(
        (long) (1024 * MIB * 0.6 / 2), MemoryBudget.perTaskBytes(conf, true, 2, 1324 * MIB));
    conf.set("spark.executor.memory", "4g").set("spark.executor.cores", "4");
    // cluster: (4096 − 300) MiB × 0.6 / 4 cores
    assertEquals((long) (3796 * MIB * 0.6 / 4), MemoryBudget.perTaskBytes(conf, false, 2, 0));
  }

  @Test
  void aSingleTaskTooLargeIsRefusedWithAdvice() {
    AttentionPlan single =
        AttentionPlan.create(
            new long[] {1 << 20},
            PlanOptions.builder().strategy(Strategy.SINGLE).blockSize(1024).build());
    CostEstimate e =
        CostModel.estimate(single, CostModel.Widths.self(64), CostModel.Framing.KRYO_REGISTERED);
    InputException ex =
        assertThrows(InputException.class, () -> MemoryBudget.check(single, e, 200 * MIB));
    assertTrue(
        ex.getMessage().contains("single") && ex.getMessage().contains("--strategy blocks"),
        ex.getMessage());
    AttentionPlan blocks =
        AttentionPlan.create(
            new long[] {1 << 20},
            PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(1024).build());
    CostEstimate b =
        CostModel.estimate(blocks, CostModel.Widths.self(64), CostModel.Framing.KRYO_REGISTERED);
    assertDoesNotThrow(() -> MemoryBudget.check(blocks, b, 200 * MIB));
  }

  @Test
  void localPPlansAreCheckedToo() {
    long n = 1 << 20;
    long[] lengths = {n};
    AttentionPlan single = localP(lengths, Strategy.SINGLE);
    CostEstimate e =
        CostModel.estimate(single, CostModel.Widths.self(64), CostModel.Framing.KRYO_REGISTERED);
    assertThrows(InputException.class, () -> MemoryBudget.check(single, e, 200 * MIB));
    AttentionPlan blocks = localP(lengths, Strategy.BLOCKS);
    CostEstimate b =
        CostModel.estimate(blocks, CostModel.Widths.self(64), CostModel.Framing.KRYO_REGISTERED);
    assertDoesNotThrow(() -> MemoryBudget.check(blocks, b, 200 * MIB));
  }

  @Test
  void aDriverTooSmallForTheSequencesTablesIsRefusedWithTheMemoryThatWouldDo() {
    int n = 1_000_000;
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 2L * i;
    }
    java.util.List<Object> sorted = io.sparkattention.plan.SortedIds.ofLongs(ids);
    // One copy: 8 bytes an id, 20 for lengths and placement: 28,000,000 bytes (26 MiB).
    assertEquals(28L * n, MemoryBudget.sequenceTableBytes(sorted));
    // local[2]: the driver's copy, two serialised, two task threads': 300 MiB + 5 × 28 MB.
    long need = 300 * MIB + 5 * 28L * n;
    MemoryBudget.checkDriver(sorted, true, 2, need); // just fits
    InputException e =
        assertThrows(
            InputException.class, () -> MemoryBudget.checkDriver(sorted, true, 2, need - 1));
    assertTrue(
        e.getMessage().startsWith("the table's 1,000,000 sequences need about 433 MiB"),
        e.getMessage());
    assertTrue(e.getMessage().contains("--driver-memory 1g"), e.getMessage());
    // On a cluster the tasks read the broadcasts in their executors: three copies on the driver.
    MemoryBudget.checkDriver(sorted, false, 2, 300 * MIB + 3 * 28L * n);
    // Other lists (tests' plain ids) count 64 bytes an id.
    assertEquals(84L * 3, MemoryBudget.sequenceTableBytes(java.util.List.of("a", "b", "c")));
  }

  @Test
  void partitionsGrowWithTheRoutedBytesOfACorpus() {
    // few routed bytes: twice the slots, at most one per item
    assertEquals(4, MemoryBudget.partitions(1000, 2, 10 * MIB, 200 * MIB));
    assertEquals(3, MemoryBudget.partitions(3, 2, 10 * MIB, 200 * MIB));
    // 3.2M tokens of d = 32 (877 MiB routed) with 217 MiB a task: half a share each, 9 partitions
    assertEquals(9, MemoryBudget.partitions(200_000, 2, 877 * MIB, 217 * MIB));
    assertEquals(1, MemoryBudget.partitions(0, 2, 877 * MIB, 217 * MIB));
  }

  /** Centres spread evenly over the sequence, D = 16. */
  private static AttentionPlan localP(long[] lengths, Strategy s) {
    PlanOptions o = PlanOptions.builder().strategy(s).blockSize(1024).build();
    LocalPCells cells =
        new LocalPCells(lengths, 16, 1024, (long) o.blockSize() * o.queryTileBlocks());
    for (long t = 0; t < lengths[0]; t++) {
      cells.add(0, t, (t * 7919L) % lengths[0]);
    }
    return AttentionPlan.createLocalP(lengths, o, cells);
  }
}
