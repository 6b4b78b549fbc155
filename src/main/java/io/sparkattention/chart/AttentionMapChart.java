package io.sparkattention.chart;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.HeatMapStyler;
import org.knowm.xchart.style.Styler;

/**
 * An attention map as a heat map: query positions down the vertical axis (0 at the top, as the
 * matrix is written), key positions along the horizontal one, colour the weight (a linear scale
 * from 0 to the largest cell rounded up to two digits, shown in the legend).
 *
 * <p>A map wider than {@link #MAX_CELLS} is drawn in bins of b × b weights (b the smallest that
 * fits), each cell the mean weight of its bin; the title says so. Axis labels are the first
 * position of a cell.
 */
public final class AttentionMapChart {
  /** Most cells per axis (XChart draws every cell; beyond this they are sub-pixel). */
  public static final int MAX_CELLS = 200;

  /** Width and height of the PNG in pixels. */
  public static final int WIDTH = 900;

  public static final int HEIGHT = 800;

  /** Viridis (perceptually uniform, readable in grey and by colour-blind readers). */
  private static final Color[] COLOURS = {
    new Color(0x440154),
    new Color(0x3b528b),
    new Color(0x21918c),
    new Color(0x5ec962),
    new Color(0xfde725)
  };

  private AttentionMapChart() {}

  /**
   * The chart of {@code weights} (m query rows × n key columns, all rows of length n ≥ 1).
   *
   * @param title the chart title (e.g. which sequence and head)
   * @throws IllegalArgumentException for an empty or ragged matrix, or a non-finite weight
   */
  public static HeatMapChart chart(double[][] weights, String title) {
    int m = weights.length;
    if (m == 0 || weights[0].length == 0) {
      throw new IllegalArgumentException("an attention map needs at least one query and one key");
    }
    int n = weights[0].length;
    for (int i = 0; i < m; i++) {
      if (weights[i].length != n) {
        throw new IllegalArgumentException(
            "row " + i + " has " + weights[i].length + " weights, row 0 has " + n);
      }
      for (int j = 0; j < n; j++) {
        if (!Double.isFinite(weights[i][j])) {
          throw new IllegalArgumentException("weight [" + i + "][" + j + "] is " + weights[i][j]);
        }
      }
    }
    int bin = Math.max(binSize(m), binSize(n));
    int rows = (m + bin - 1) / bin;
    int cols = (n + bin - 1) / bin;
    List<Integer> xs = new ArrayList<>();
    for (int c = 0; c < cols; c++) {
      xs.add(c * bin);
    }
    // XChart puts the first y category at the bottom: list the rows last to first.
    List<Integer> ys = new ArrayList<>();
    for (int r = rows - 1; r >= 0; r--) {
      ys.add(r * bin);
    }
    List<Number[]> cells = new ArrayList<>();
    double max = 0;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        // cell = mean of the weights of its bin
        double sum = 0;
        int count = 0;
        for (int i = r * bin; i < Math.min(m, (r + 1) * bin); i++) {
          for (int j = c * bin; j < Math.min(n, (c + 1) * bin); j++) {
            sum += weights[i][j];
            count++;
          }
        }
        double v = sum / count;
        max = Math.max(max, v);
        cells.add(new Number[] {c, rows - 1 - r, v});
      }
    }
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(bin == 1 ? title : title + "; cells: mean of " + bin + "×" + bin)
            .xAxisTitle("key position")
            .yAxisTitle("query position")
            .build();
    HeatMapStyler st = chart.getStyler();
    st.setShowValue(false).setDrawBorder(false).setRangeColors(COLOURS);
    // The legend prints the scale's ends as they are: a short number, not 0.08036988469351808.
    double top =
        max > 0 ? new BigDecimal(max).round(new MathContext(2, RoundingMode.UP)).doubleValue() : 1;
    st.setMin(0).setMax(top);
    st.setPlotContentSize(1);
    st.setPlotGridLinesVisible(false);
    st.setAntiAlias(false); // anti-aliased cell edges show as light seams between cells
    st.setXAxisMaxLabelCount(12);
    st.setLegendPosition(Styler.LegendPosition.OutsideE);
    String legend = bin == 1 ? "weight" : "mean weight of " + bin + "×" + bin;
    chart.addSeries(legend, xs, ys, cells);
    return chart;
  }

  /** Bin size b so that {@code length} positions fit in at most {@link #MAX_CELLS} cells. */
  static int binSize(int length) {
    return Math.max(1, (length + MAX_CELLS - 1) / MAX_CELLS);
  }

  /**
   * Draws {@code weights} into the PNG file {@code png} (replaced if it exists; the parent
   * directory must exist).
   */
  public static void writePng(double[][] weights, String title, Path png) throws IOException {
    HeatMapChart chart = chart(weights, title);
    try (OutputStream out = Files.newOutputStream(png)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }
}
