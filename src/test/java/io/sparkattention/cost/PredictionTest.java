package io.sparkattention.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.plan.Strategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Predictions without running: what fits, what is chosen and why, the report's files. */
class PredictionTest {
  @TempDir Path dir;

  /** A kernel-bound model: 1 GFLOP/s, no softmax, shuffle or fixed costs. */
  private static TimeModel model(ClusterSpec c) {
    return new TimeModel(1e9, 1e300, 1e300, 0, 0, c.slots(), c.taskMemoryBytes());
  }

  private static Prediction.Result predict(
      ClusterSpec c, long n, List<Prediction.Kind> kinds, List<Strategy> st, List<Integer> b) {
    Prediction.Settings s =
        new Prediction.Settings(List.of(n), kinds, st, 1, 64, List.of(128), b, c);
    return Prediction.predict(s, size -> model(c));
  }

  @Test
  void aPlanThatDoesNotFitIsNotChosenAndTheReasonSaysSo() {
    // 1 executor, 1 core, 400 MiB: a task gets (400 − 300) · 0.6 = 60 MiB. One task over 100,000
    // tokens holds 100,000 × (64 raw + 64 projected + 64 values + 2 state) doubles = 155 MB: too
    // big. Blocks of 256 with 16 × 32-block tiles: 4096 queries × 194 doubles + a key block, ~6 MB.
    ClusterSpec c = new ClusterSpec(1, 1, 400L << 20, Double.NaN);
    assertEquals(60L << 20, c.taskMemoryBytes(), 1.0);
    Prediction.Result p =
        predict(
            c,
            100_000,
            List.of(Prediction.Kind.GLOBAL),
            List.of(Strategy.SINGLE, Strategy.BLOCKS),
            List.of(256));
    assertEquals(2, p.rows().size());
    Prediction.Row single = p.rows().get(0);
    assertEquals(Strategy.SINGLE, single.strategy());
    assertFalse(single.fits());
    assertEquals(
        8L * 100_000 * (64 + 64 + 64 + 2) + 8L * 256 * (64 + 64 + 64) + 8L * 256 * 256,
        single.estimate().peakTaskBytes());
    Prediction.Choice ch = p.choices().get(0);
    assertEquals(Strategy.BLOCKS, ch.chosen().strategy());
    assertTrue(
        ch.why().startsWith("blocks with blocks of 256: the fastest plan that fits"), ch.why());
    assertTrue(ch.why().contains("too big for a task: single/256 (148.9 MiB)"), ch.why());
    assertTrue(ch.why().contains("largest term kernel (100 %)"), ch.why());
  }

  @Test
  void theFasterOfTwoFittingPlansIsChosenWithHowMuchFaster() {
    // Local attention over 8192 tokens on 2 slots: window cuts two query tiles of 16 blocks that
    // run on both slots, single one task on one slot; both compute each query block against its
    // own and neighbouring key blocks, so window takes about half single's time.
    ClusterSpec c = new ClusterSpec(1, 2, 4L << 30, 0.10);
    Prediction.Result p =
        predict(
            c,
            8192,
            List.of(Prediction.Kind.LOCAL),
            List.of(Strategy.WINDOW, Strategy.SINGLE),
            List.of(256));
    Prediction.Choice ch = p.choices().get(0);
    // window: tasks of query tiles over 2 slots; single: one task on one slot, same pairs
    Prediction.Row window = rowOf(p, Strategy.WINDOW);
    Prediction.Row single = rowOf(p, Strategy.SINGLE);
    assertTrue(window.seconds() < single.seconds());
    assertEquals(Strategy.WINDOW, ch.chosen().strategy());
    assertTrue(
        ch.why()
            .contains(
                String.format(
                    java.util.Locale.ROOT, "(%.2f× as long)", single.seconds() / window.seconds())),
        ch.why());
  }

  @Test
  void nothingFitsSaysWhatToChange() {
    ClusterSpec c = new ClusterSpec(1, 8, 310L << 20, Double.NaN);
    Prediction.Result p =
        predict(
            c, 100_000, List.of(Prediction.Kind.GLOBAL), List.of(Strategy.BLOCKS), List.of(1024));
    Prediction.Choice ch = p.choices().get(0);
    assertNull(ch.chosen());
    assertTrue(
        ch.why().startsWith("no plan fits: the smallest working set (blocks, block size 1024)"),
        ch.why());
    assertTrue(ch.why().contains("more memory"), ch.why());
  }

  @Test
  void hardAttentionCountsNoValueProduct() {
    ClusterSpec c = new ClusterSpec(1, 1, 1L << 30, Double.NaN);
    Prediction.Result p =
        predict(
            c,
            4096,
            List.of(Prediction.Kind.GLOBAL, Prediction.Kind.HARD),
            List.of(Strategy.BLOCKS),
            List.of(256));
    // softmax: 4096² pairs × (2·64 + 2·64); hard: × 2·64 only
    assertEquals(4096.0 * 4096 * 256, p.rows().get(0).estimate().executedFlops());
    assertEquals(4096.0 * 4096 * 128, p.rows().get(1).estimate().executedFlops());
    assertEquals(4096.0 * 4096, p.rows().get(1).estimate().executedScores());
  }

  @Test
  void theReportHasItsColumnsAChoiceTableAndCharts() throws Exception {
    ClusterSpec c = new ClusterSpec(2, 2, 2L << 30, 0.04);
    Prediction.Result p =
        predict(
            c,
            4096,
            List.of(Prediction.Kind.GLOBAL, Prediction.Kind.LOCAL),
            List.of(Strategy.BLOCKS, Strategy.WINDOW),
            List.of(256, 512));
    TimeModel m = model(c);
    List<Crossover.Result> x = List.of(Crossover.predict(m, 128, 256, 1, 64, 256));
    List<String> charts = PredictionReport.write(p, x, java.util.Map.of("machine", "test"), dir);
    assertEquals(List.of("time-vs-n.png", "shuffle-vs-n.png", "crossover.png"), charts);
    List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
    assertEquals(String.join(",", PredictionReport.HEADER), csv.get(0));
    assertEquals(p.rows().size() + 1, csv.size());
    for (String line : csv.subList(1, csv.size())) {
      assertEquals(PredictionReport.HEADER.size(), line.split(",", -1).length, line);
    }
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.contains("## What it would choose") && md.contains("| price |"), md);
    assertTrue(md.contains("Crossover: local more than 2× cheaper than global"), md);
    for (String chart : charts) {
      assertTrue(Files.size(dir.resolve(chart)) > 1000, chart);
    }
  }

  @Test
  void settingsRefuseLengthsBeyondTenMillion() {
    ClusterSpec c = new ClusterSpec(1, 1, 1L << 30, Double.NaN);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                predict(
                    c,
                    10_000_001,
                    List.of(Prediction.Kind.GLOBAL),
                    List.of(Strategy.BLOCKS),
                    List.of(256)));
    assertTrue(e.getMessage().contains("10000000"), e.getMessage());
  }

  private static Prediction.Row rowOf(Prediction.Result p, Strategy s) {
    Prediction.Row r = p.rows().stream().filter(x -> x.strategy() == s).findFirst().orElse(null);
    assertNotNull(r, s.toString());
    return r;
  }
}
