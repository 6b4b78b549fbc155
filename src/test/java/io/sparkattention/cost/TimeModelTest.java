package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The time model's terms, its fit and the kernel-rate split, on cases worked out by hand. */
class TimeModelTest {
  /** g 1 GFLOP/s, e 10^8 scores/s, r 10^6 B/s, 0.1 s per task wave, 0.5 s per stage, 4 slots. */
  static final TimeModel MODEL = new TimeModel(1e9, 1e8, 1e6, 0.1, 0.5, 4, 1L << 30);

  /** 10 tile tasks, 4e9 executed FLOPs, 1e8 scores, 2 MB routed and 1 MB of partial states. */
  static final CostEstimate MERGING_PLAN =
      CostEstimate.builder()
          .tasks(10)
          .flops(4e9, 4e9)
          .executedScores(1e8)
          .routed(100, 2_000_000)
          .partials(50, 1_000_000)
          .build();

  @Test
  void termsOfAMergingPlanByHand() {
    TimeModel.Terms t = MODEL.terms(MERGING_PLAN);
    // partitions: twice the 4 slots = 8 (the 2 MB routed fit a task's GiB), under the 10 items
    assertEquals(8, t.partitions());
    // all 4 slots busy: 4e9 / (1e9 · 4) = 1 s; 1e8 / (1e8 · 4) = 0.25 s
    assertEquals(1.0, t.kernelSeconds(), 1e-12);
    assertEquals(0.25, t.softmaxSeconds(), 1e-12);
    // 3 MB over 4 slots at 1 MB/s each: 0.75 s
    assertEquals(0.75, t.shuffleSeconds(), 1e-12);
    // 8 partitions on 4 slots: 2 waves, twice (attend, then merge): 4 waves × 0.1 s
    assertEquals(4, t.waves());
    assertEquals(0.4, t.taskFixedSeconds(), 1e-12);
    // stages: route, attend, merge, write and check = 4 × 0.5 s
    assertEquals(4, t.stages());
    assertEquals(2.0, t.stageFixedSeconds(), 1e-12);
    assertEquals(1 + 0.25 + 0.75 + 0.4 + 2.0, t.seconds(), 1e-12);
  }

  @Test
  void oneTaskUsesOneSlotAndAPyramidAddsAStage() {
    CostEstimate e =
        CostEstimate.builder().tasks(1).flops(4e9, 4e9).executedScores(0).reduce(10, 0).build();
    TimeModel.Terms t = MODEL.terms(e);
    assertEquals(1, t.partitions());
    assertEquals(4.0, t.kernelSeconds(), 1e-12, "4e9 FLOPs on one slot at 1e9");
    assertEquals(1, t.waves(), "no merge: one wave");
    assertEquals(4, t.stages(), "3 + the reduce stage");
  }

  @Test
  void partitionsGrowWhenTheRoutedRecordsWouldNotFitATask() {
    // 10 GB routed, 1 GB per task: 2 · 10 / 1 = 20 partitions > 2 · 4 slots; at most the items
    assertEquals(20, TimeModel.attentionPartitions(100, 4, 10_000_000_000L, 1_000_000_000L));
    assertEquals(12, TimeModel.attentionPartitions(12, 4, 10_000_000_000L, 1_000_000_000L));
    assertEquals(8, TimeModel.attentionPartitions(100, 4, 1_000, 1_000_000_000L));
    assertEquals(1, TimeModel.attentionPartitions(0, 4, 1_000, 1_000_000_000L));
  }

  @Test
  void theFitRecoversTheFixedFiguresOfRunsItMade() {
    // Runs timed by a known model (r = 2 MB/s, c_task 0.05 s, c_stage 0.2 s): the fit, which
    // starts from other figures, finds them again.
    TimeModel truth = new TimeModel(1e9, 1e8, 2e6, 0.05, 0.2, 2, 1L << 30);
    List<TimeFit.Sample> runs = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      CostEstimate e =
          CostEstimate.builder()
              .tasks(i * 3L)
              .flops(1e9 * i, 1e9 * i)
              .executedScores(1e7 * i * i)
              .routed(10, 300_000L * i * i)
              .partials(i % 2, i % 2 == 0 ? 0 : 1000)
              .build();
      runs.add(new TimeFit.Sample(e, truth.seconds(e)));
    }
    TimeModel fit = TimeFit.fit(truth.withFitted(1e9, 1, 1), runs);
    assertEquals(2e6, fit.shuffleBytesPerSecond(), 2e6 * 1e-6);
    assertEquals(0.05, fit.taskSeconds(), 1e-9);
    assertEquals(0.2, fit.stageSeconds(), 1e-9);
    assertEquals(1e9, fit.flopsPerSecond(), "the kernel's rate is measured, never fitted");
  }

  @Test
  void theFitKeepsEveryFigureNonNegative() {
    // One run of 1 s whose kernel terms alone take 2 s: nothing fixed can be negative, so the
    // fixed figures are 0 and shuffle costs nothing.
    TimeModel m = new TimeModel(1e9, 1e300, 1e6, 0, 0, 1, 1L << 30);
    CostEstimate e = CostEstimate.builder().tasks(1).flops(2e9, 2e9).routed(1, 1000).build();
    TimeModel fit = TimeFit.fit(m, List.of(new TimeFit.Sample(e, 1.0)));
    assertEquals(0, fit.taskSeconds());
    assertEquals(0, fit.stageSeconds());
    assertTrue(Double.isInfinite(fit.shuffleBytesPerSecond()));
    assertThrows(IllegalArgumentException.class, () -> TimeFit.fit(m, List.of()));
  }

  @Test
  void twoWidthsSplitTheKernelIntoProductsAndSoftmax() {
    // g = 8 GFLOP/s, e = 10^8 scores/s, d = 64: per pair τ(64) = 4·64/8e9 + 1e-8 = 4.2e-8 s,
    // τ(128) = 4·128/8e9 + 1e-8 = 7.4e-8 s.
    KernelCalibration.Rates r = KernelCalibration.split(64, 4.2e-8, 7.4e-8);
    assertEquals(8e9, r.flopsPerSecond(), 1e-3);
    assertEquals(1e8, r.scoresPerSecond(), 1e-3);
    assertEquals(4.2e-8, r.seconds(256, 1), 1e-20, "at width d the terms add up to τ(d)");
    // noise: the wider update no slower → everything is products
    KernelCalibration.Rates noisy = KernelCalibration.split(64, 4.2e-8, 4.0e-8);
    assertEquals(256 / 4.2e-8, noisy.flopsPerSecond(), 1e-3);
    assertTrue(Double.isInfinite(noisy.scoresPerSecond()));
  }
}
