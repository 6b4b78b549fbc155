package io.sparkattention.cost;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The cost report's PNG charts, drawn with XChart. */
public final class ReportCharts {
  private ReportCharts() {}

  /** Writes the charts into {@code dir}; returns their file names. */
  public static List<String> write(List<CostRow> rows, Path dir) throws IOException {
    List<String> files = new ArrayList<>();
    files.add(
        save(
            chart(
                "Wall time against sequence length",
                "n (tokens)",
                "seconds",
                rows,
                r -> r.wallMillis() / 1000.0,
                true),
            dir,
            "time-vs-n"));
    files.add(
        save(
            chart(
                "Shuffle bytes against sequence length",
                "n (tokens)",
                "MiB written",
                rows,
                r -> r.shuffleBytesWritten() / (1024.0 * 1024.0),
                true),
            dir,
            "shuffle-vs-n"));
    files.add(save(modelChart(rows), dir, "model-vs-measured"));
    return files;
  }

  private static XYChart chart(
      String title,
      String x,
      String y,
      List<CostRow> rows,
      ToDoubleFunction<CostRow> f,
      boolean log) {
    XYChart c =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    c.getStyler().setXAxisLogarithmic(log).setYAxisLogarithmic(log);
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    for (String config : ReportFiles.configs(rows)) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (CostRow r : rows) {
        double v = f.applyAsDouble(r);
        if (r.config().equals(config) && (!log || v > 0)) {
          xs.add((double) r.seqLen());
          ys.add(v);
        }
      }
      if (!xs.isEmpty()) {
        c.addSeries(config, xs, ys).setMarker(SeriesMarkers.CIRCLE);
      }
    }
    return c;
  }

  private static XYChart modelChart(List<CostRow> rows) {
    XYChart c =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title("Model against measurement (time)")
            .xAxisTitle("measured seconds")
            .yAxisTitle("modelled seconds")
            .build();
    c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (String config : ReportFiles.configs(rows)) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (CostRow r : rows) {
        if (r.config().equals(config) && r.wallMillis() > 0 && r.modelWallMillis() > 0) {
          xs.add(r.wallMillis() / 1000.0);
          ys.add(r.modelWallMillis() / 1000.0);
          lo = Math.min(lo, Math.min(xs.get(xs.size() - 1), ys.get(ys.size() - 1)));
          hi = Math.max(hi, Math.max(xs.get(xs.size() - 1), ys.get(ys.size() - 1)));
        }
      }
      if (!xs.isEmpty()) {
        c.addSeries(config, xs, ys);
      }
    }
    List<Double> hx = new ArrayList<>();
    List<Double> hy = new ArrayList<>();
    for (CostRow r : rows) {
      if (r.heldoutWallMillis() > 0 && r.wallMillis() > 0) {
        hx.add(r.wallMillis() / 1000.0);
        hy.add(r.heldoutWallMillis() / 1000.0);
        lo = Math.min(lo, Math.min(hx.get(hx.size() - 1), hy.get(hy.size() - 1)));
        hi = Math.max(hi, Math.max(hx.get(hx.size() - 1), hy.get(hy.size() - 1)));
      }
    }
    if (!hx.isEmpty()) {
      c.addSeries("held-out prediction", hx, hy).setMarker(SeriesMarkers.DIAMOND);
    }
    if (hi > 0) {
      XYSeries diag = c.addSeries("model = measured", new double[] {lo, hi}, new double[] {lo, hi});
      diag.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE);
    }
    return c;
  }

  /**
   * Writes {@code crossover.png}: global / local time ratio against n, each result's curve
   * (measured points, predicted lines), with the {@link Crossover#RATIO} line; returns its file
   * name.
   */
  public static String writeCrossover(List<Crossover.Result> results, Path dir) throws IOException {
    XYChart c =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title("Global / local time against sequence length")
            .xAxisTitle("n (tokens)")
            .yAxisTitle("global time / local time")
            .build();
    c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (Crossover.Result r : results) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      r.curve()
          .forEach(
              (n, ratio) -> {
                if (ratio > 0) {
                  xs.add((double) n);
                  ys.add(ratio);
                }
              });
      if (xs.isEmpty()) {
        continue;
      }
      lo = Math.min(lo, xs.get(0));
      hi = Math.max(hi, xs.get(xs.size() - 1));
      XYSeries series = c.addSeries(r.what() + ", w = " + r.window(), xs, ys);
      boolean measured = r.what().equals("measured");
      series.setMarker(measured ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
    if (hi > 0) {
      XYSeries line =
          c.addSeries(
              Crossover.RATIO + "×",
              new double[] {lo, hi},
              new double[] {Crossover.RATIO, Crossover.RATIO});
      line.setMarker(SeriesMarkers.NONE);
    }
    return save(c, dir, "crossover");
  }

  private static String save(XYChart chart, Path dir, String name) throws IOException {
    BitmapEncoder.saveBitmap(chart, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    return name + ".png";
  }
}
