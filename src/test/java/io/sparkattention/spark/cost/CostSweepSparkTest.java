package io.sparkattention.spark.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.cost.Calibration;
import io.sparkattention.cost.CostModel;
import io.sparkattention.cost.CostRow;
import io.sparkattention.cost.ReportCharts;
import io.sparkattention.cost.ReportFiles;
import io.sparkattention.cost.TimeModel;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.plan.Strategy;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny cost-report sweep (lengths 64 and 256) end to end. */
class CostSweepSparkTest {
  @TempDir static Path dir;

  @Test
  void tinySweepWritesEveryConfigurationCsvReportAndCharts() throws Exception {
    SparkSession spark = SparkTestSession.spark();
    SweepSettings s =
        SweepSettings.builder()
            .lengths(List.of(64, 256))
            .dModel(8)
            .numHeads(2)
            .window(4)
            .blockSize(16)
            .strategies(
                EnumSet.of(Strategy.BLOCKS, Strategy.WINDOW, Strategy.HEADS, Strategy.SINGLE))
            .repeats(1)
            .workDir(dir.resolve("work"))
            .pyramidLevels(2)
            .build();
    Calibration cal = CostSweep.calibrate(spark, s);
    List<CostRow> rows = CostSweep.sweep(spark, s, CostSweep.model(spark, cal));

    Set<String> expected =
        Set.of(
            "global-blocks",
            "causal-blocks",
            "local-window",
            "global-heads",
            "global-single",
            "global-pyramid-L2");
    Map<String, Map<Long, CostRow>> byConfig = new HashMap<>();
    for (CostRow r : rows) {
      byConfig.computeIfAbsent(r.config(), k -> new HashMap<>()).put(r.seqLen(), r);
    }
    assertEquals(expected, byConfig.keySet(), "every configuration ran");
    for (String c : expected) {
      CostRow small = byConfig.get(c).get(64L);
      CostRow large = byConfig.get(c).get(256L);
      assertNotNull(small, c + " at 64");
      assertNotNull(large, c + " at 256");
      // Every configuration routes tokens through a shuffle.
      assertTrue(small.modelShuffleBytes() > 0 && small.shuffleBytesWritten() > 0, c + " shuffles");
      assertTrue(
          large.shuffleBytesWritten() > small.shuffleBytesWritten(), c + " shuffle grows with n");
      assertTrue(large.modelUsefulFlops() > small.modelUsefulFlops(), c + " FLOPs grow with n");
      assertTrue(large.wallMillis() > 0 && large.sparkTasks() > 0, c + " measured");
    }

    // The pyramid row and its global twin, by hand. Input: one sequence of n tokens, d = 8.
    // L = 2: n/4 top-level steps of width 4·8 = 32, where global attention runs with 2 heads,
    // blocks of 16 and the default tiles (16 query blocks by 32 key blocks), so n/4 <= 64 steps
    // are one tile task, and no query has a second part to merge.
    //   useful FLOPs: (n/4)² pairs × (2·32 + 2·32) (q·k and p·v, all heads)       = 8·n²
    //   global-blocks over the input: n² pairs × (2·8 + 2·8)                     = 32·n²
    //   shuffle bytes, with Kryo's framing per record (now: routed 18, reduce 17):
    //     reduce stage: n tokens of 8 doubles         n × (64 + 17)             =  81·n
    //     routing: each step once as query, once as key: n/2 × (8·32 + 18)      = 137·n
    //       (n = 64: the 16 steps fit one block and run whole, shipped once: n/4 × 274 = 68.5·n)
    //     merge: none                                                             =   0
    //     the writer's check: none (it counts rows on their way to the writer)    =   0
    //                                                     total = 218·n (n = 64: 149.5·n)
    CostModel.Framing f = CostModel.Framing.KRYO_REGISTERED;
    for (long n : new long[] {64, 256}) {
      CostRow p = byConfig.get("global-pyramid-L2").get(n);
      CostRow g = byConfig.get("global-blocks").get(n);
      assertEquals(8, p.dModel());
      assertEquals(n, p.seqLen());
      assertEquals(8.0 * n * n, p.modelUsefulFlops(), 1e-9 * n * n, "pyramid FLOPs");
      assertEquals(32.0 * n * n, g.modelUsefulFlops(), 1e-9 * n * n, "global FLOPs");
      long reduce = n * (8 * 8 + f.reduceRecordBytes());
      long shipped = n / 4 <= 16 ? n / 4 : n / 2;
      long routing = shipped * (8 * 32 + f.routedRecordBytes());
      assertEquals(reduce + routing, p.modelShuffleBytes(), "pyramid shuffle bytes");
      assertEquals(
          n / 4 <= 16 ? 299 * n / 2 : 218 * n,
          reduce + routing,
          "the arithmetic above, at today's framing");
    }

    ReportFiles.writeCsv(rows, dir.resolve("results.csv"));
    List<String> lines = Files.readAllLines(dir.resolve("results.csv"));
    assertEquals(String.join(",", CostRow.HEADER), lines.get(0));
    assertEquals(rows.size() + 1, lines.size());
    for (String line : lines.subList(1, lines.size())) {
      assertEquals(CostRow.HEADER.size(), line.split(",", -1).length, line);
    }

    List<String> charts = ReportCharts.write(rows, dir);
    assertEquals(3, charts.size());
    for (String chart : charts) {
      BufferedImage img = ImageIO.read(dir.resolve(chart).toFile());
      assertNotNull(img, chart + " is a readable PNG");
      assertTrue(img.getWidth() >= 400 && img.getHeight() >= 300, chart + " size");
    }
    ReportFiles.writeMarkdown(rows, Map.of("machine", "test"), charts, dir.resolve("report.md"));
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(
        md.contains("global / local time")
            && md.contains("Crossover")
            && md.contains("time error")
            && md.contains(
                "`global-pyramid-L2`: global attention (blocks) after a pyramidal encoder of 2 levels"),
        md);
  }

  /**
   * {@code kvHeads}: each configuration twice, multi-head and grouped-query, with the same
   * projections' shapes but narrower keys and values. With d = 8, 4 heads of 2 and G = 1, a key row
   * ships 2·1·2 = 4 projected doubles instead of its 8 raw ones (G = 4 would be 16: raw), so the
   * model's shuffle bytes and memory per task shrink with G.
   */
  @Test
  void kvHeadsPairsEachConfigurationWithItsGroupedQueryTwin() {
    SparkSession spark = SparkTestSession.spark();
    SweepSettings s =
        SweepSettings.builder()
            .lengths(List.of(40))
            .dModel(8)
            .numHeads(4)
            .kvHeads(1)
            .window(4)
            .blockSize(16)
            .strategies(EnumSet.of(Strategy.BLOCKS))
            .repeats(1)
            .workDir(dir.resolve("work-gqa"))
            .build();
    TimeModel model = new TimeModel(1e9, 1e9, 1e8, 0.01, 0.1, 2, 1L << 28);
    List<CostRow> rows = CostSweep.sweep(spark, s, model);
    Map<String, CostRow> byConfig = new HashMap<>();
    for (CostRow r : rows) {
      byConfig.put(r.config(), r);
    }
    assertEquals(
        Set.of("global-blocks", "global-blocks-gqa1", "causal-blocks", "causal-blocks-gqa1"),
        byConfig.keySet());
    for (String c : new String[] {"global-blocks", "causal-blocks"}) {
      CostRow mha = byConfig.get(c);
      CostRow gqa = byConfig.get(c + "-gqa1");
      assertEquals(4, mha.numHeads());
      assertEquals(4, mha.kvHeads());
      assertEquals(4, gqa.numHeads());
      assertEquals(1, gqa.kvHeads());
      assertEquals(mha.planTasks(), gqa.planTasks(), c + ": one plan");
      assertEquals(mha.modelUsefulFlops(), gqa.modelUsefulFlops(), c + ": attention FLOPs alike");
      // 40 tokens, blocks of 16, the default tiles: one tile task, its 40 keys shipped, each 8 - 4
      // doubles narrower (no merge: the task holds every key).
      assertEquals(
          40 * 4 * 8, mha.modelShuffleBytes() - gqa.modelShuffleBytes(), c + ": shuffle bytes");
      // A task's key/value block: 16 keys × (8 raw + 8 + 8 projected) doubles under MHA, × (2 + 2)
      // projected under GQA (the raw rows never reach the task): 16 × 20 × 8 bytes fewer.
      assertEquals(
          16 * 20 * 8, mha.modelPeakTaskBytes() - gqa.modelPeakTaskBytes(), c + ": memory");
      assertTrue(gqa.shuffleBytesWritten() > 0, c + " measured");
    }
  }

  /**
   * {@code globalTokens}: the window configuration beside its Longformer twin, whose model counts
   * exactly the pairs a plain predicate allows (|q − k| ≤ 4, or q or k among the first 3).
   */
  @Test
  void globalTokensPairTheWindowWithItsLongformerTwin() throws Exception {
    SparkSession spark = SparkTestSession.spark();
    SweepSettings s =
        SweepSettings.builder()
            .lengths(List.of(41))
            .dModel(8)
            .window(4)
            .globalTokens(3)
            .blockSize(8)
            .strategies(EnumSet.of(Strategy.WINDOW))
            .repeats(1)
            .workDir(dir.resolve("work-global"))
            .build();
    TimeModel model = new TimeModel(1e9, 1e9, 1e8, 0.01, 0.1, 2, 1L << 28);
    List<CostRow> rows = CostSweep.sweep(spark, s, model);
    Map<String, CostRow> byConfig = new HashMap<>();
    for (CostRow r : rows) {
      byConfig.put(r.config(), r);
    }
    assertEquals(Set.of("local-window", "local-window-g3"), byConfig.keySet());
    long window = 0;
    long longformer = 0;
    for (int q = 0; q < 41; q++) {
      for (int k = 0; k < 41; k++) {
        boolean near = Math.abs(q - k) <= 4;
        window += near ? 1 : 0;
        longformer += near || q < 3 || k < 3 ? 1 : 0;
      }
    }
    // one head of width 8: q·k and p·v cost 2·8 each per pair
    assertEquals(32.0 * window, byConfig.get("local-window").modelUsefulFlops(), 1e-9);
    assertEquals(32.0 * longformer, byConfig.get("local-window-g3").modelUsefulFlops(), 1e-9);
    CostRow g = byConfig.get("local-window-g3");
    assertEquals("local", g.attention());
    assertEquals(4, g.window());
    assertTrue(g.shuffleBytesWritten() > 0 && g.modelShuffleBytes() > 0, "measured and modelled");
    ReportFiles.writeMarkdown(rows, Map.of("machine", "test"), List.of(), dir.resolve("g.md"));
    String md = Files.readString(dir.resolve("g.md"));
    assertTrue(
        md.contains(
            "`local-window-g3`: `local-window` with the first 3 positions of each sequence"),
        md);
  }
}
