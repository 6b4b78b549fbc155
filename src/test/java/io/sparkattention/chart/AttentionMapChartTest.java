package io.sparkattention.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapSeries;

/** The heat map of an attention map: cells, bins, the PNG, and refusals. */
class AttentionMapChartTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "n={0}: bins of {1}")
  @CsvSource({"1, 1", "200, 1", "201, 2", "400, 2", "401, 3", "2048, 11"})
  void binSizeKeepsAtMostMaxCells(int n, int bin) {
    assertEquals(bin, AttentionMapChart.binSize(n));
    assertTrue((n + bin - 1) / bin <= AttentionMapChart.MAX_CELLS);
  }

  @Test
  void cellsAreBinMeansWithQueryZeroAtTheTop() {
    // 400 × 400, weight 1 on the diagonal: bins of 2, so a diagonal cell is 2/4 = 0.5, the rest 0.
    int n = 400;
    double[][] w = new double[n][n];
    for (int i = 0; i < n; i++) {
      w[i][i] = 1;
    }
    HeatMapChart chart = AttentionMapChart.chart(w, "identity");
    HeatMapSeries s = chart.getSeriesMap().values().iterator().next();
    assertEquals("mean weight of 2×2", s.getName());
    int rows = 200;
    assertEquals(rows * rows, s.getHeatData().size());
    for (Number[] cell : s.getHeatData()) {
      int x = cell[0].intValue();
      int y = cell[1].intValue();
      // y counts from the bottom: query bin r is at y = rows − 1 − r
      double want = x == rows - 1 - y ? 0.5 : 0.0;
      assertEquals(want, cell[2].doubleValue(), 0.0, "cell " + x + "," + y);
    }
    assertEquals(0, (int) (Integer) s.getXData().get(0));
    assertEquals(398, (int) (Integer) s.getYData().get(0), "the bottom row is the last bin");
    assertTrue(chart.getTitle().endsWith("identity; cells: mean of 2×2"), chart.getTitle());
  }

  @Test
  void writesAReadablePng() throws IOException {
    double[][] w = new double[30][30];
    for (int i = 0; i < 30; i++) {
      for (int j = 0; j <= i; j++) {
        w[i][j] = 1.0 / (i + 1); // causal, uniform
      }
    }
    Path png = tmp.resolve("map.png");
    AttentionMapChart.writePng(w, "causal", png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(AttentionMapChart.WIDTH, image.getWidth());
    assertEquals(AttentionMapChart.HEIGHT, image.getHeight());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 5) {
      for (int x = 0; x < image.getWidth(); x += 5) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 10, "colours: " + colours.size());
  }

  @Test
  void refusesEmptyRaggedAndNonFiniteMaps() {
    assertThrows(
        IllegalArgumentException.class, () -> AttentionMapChart.chart(new double[0][], "t"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AttentionMapChart.chart(new double[][] {{1, 0}, {1}}, "t"));
    assertEquals("row 1 has 1 weights, row 0 has 2", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AttentionMapChart.chart(new double[][] {{Double.NaN}}, "t"));
    assertEquals("weight [0][0] is NaN", e.getMessage());
  }
}
