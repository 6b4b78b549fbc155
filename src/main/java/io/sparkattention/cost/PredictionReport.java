package io.sparkattention.cost;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes a predicted cost report ({@code --predict}): {@code results.csv} ({@link #HEADER}), {@code
 * report.md} and charts, from a {@link Prediction.Result}.
 */
public final class PredictionReport {
  private PredictionReport() {}

  /**
   * The predicted CSV's columns, in order (units in the names): the measured report's first eight
   * (the configuration), then the prediction's.
   */
  public static final List<String> HEADER =
      java.util.stream.Stream.concat(
              CostRow.HEADER.subList(0, 8).stream(),
              java.util.stream.Stream.of(
                  "executors",
                  "executor_cores",
                  "slots",
                  "plan_tasks",
                  "attention_partitions",
                  "task_waves",
                  "stages",
                  "model_useful_flops",
                  "model_executed_flops",
                  "model_executed_scores",
                  "model_shuffle_bytes",
                  "model_peak_task_bytes",
                  "task_memory_bytes",
                  "fits",
                  "kernel_s",
                  "softmax_s",
                  "shuffle_s",
                  "task_fixed_s",
                  "stage_fixed_s",
                  "model_wall_s",
                  "core_hours",
                  "price",
                  "chosen"))
          .toList();

  /** Writes results.csv, the charts and report.md into {@code dir}; returns the chart names. */
  public static List<String> write(
      Prediction.Result p,
      List<Crossover.Result> crossovers,
      Map<String, String> settings,
      Path dir)
      throws IOException {
    Files.createDirectories(dir);
    writeCsv(p, dir.resolve("results.csv"));
    List<String> charts = new ArrayList<>();
    charts.add(
        chart(
            p,
            "Predicted wall time against sequence length",
            "seconds",
            Prediction.Row::seconds,
            dir,
            "time-vs-n"));
    charts.add(
        chart(
            p,
            "Predicted shuffle bytes against sequence length",
            "GiB",
            r -> r.estimate().shuffleBytes() / (double) (1L << 30),
            dir,
            "shuffle-vs-n"));
    if (!crossovers.isEmpty()) {
      charts.add(ReportCharts.writeCrossover(crossovers, dir));
    }
    writeMarkdown(p, crossovers, settings, charts, dir.resolve("report.md"));
    return charts;
  }

  static Map<Prediction.Row, Boolean> chosen(Prediction.Result p) {
    Map<Prediction.Row, Boolean> m = new IdentityHashMap<>();
    for (Prediction.Choice c : p.choices()) {
      if (c.chosen() != null) {
        m.put(c.chosen(), true);
      }
    }
    return m;
  }

  /** Writes {@code results.csv} with {@link #HEADER}. */
  public static void writeCsv(Prediction.Result p, Path file) throws IOException {
    ClusterSpec c = p.settings().cluster();
    Map<Prediction.Row, Boolean> chosen = chosen(p);
    StringBuilder b = new StringBuilder(String.join(",", HEADER)).append('\n');
    for (Prediction.Row r : p.rows()) {
      CostEstimate e = r.estimate();
      TimeModel.Terms t = r.terms();
      double s = r.seconds();
      List<Object> v =
          List.of(
              r.config(),
              r.kind().label(),
              r.strategy().toString(),
              r.seqLen(),
              p.settings().dModel(),
              p.settings().heads(),
              r.window(),
              r.blockSize(),
              c.executors(),
              c.executorCores(),
              c.slots(),
              e.tasks(),
              t.partitions(),
              t.waves(),
              t.stages(),
              e.usefulFlops(),
              e.executedFlops(),
              e.executedScores(),
              e.shuffleBytes(),
              e.peakTaskBytes(),
              c.taskMemoryBytes(),
              r.fits(),
              t.kernelSeconds(),
              t.softmaxSeconds(),
              t.shuffleSeconds(),
              t.taskFixedSeconds(),
              t.stageFixedSeconds(),
              s,
              c.coreHours(s),
              c.price(s),
              chosen.containsKey(r));
      List<String> cells = new ArrayList<>();
      for (Object o : v) {
        cells.add(
            o instanceof Double d
                ? (d.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", d))
                : String.valueOf(o));
      }
      b.append(String.join(",", cells)).append('\n');
    }
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  /** Writes {@code report.md}: the choices and why, every plan's figures, the crossovers. */
  public static void writeMarkdown(
      Prediction.Result p,
      List<Crossover.Result> crossovers,
      Map<String, String> settings,
      List<String> charts,
      Path file)
      throws IOException {
    ClusterSpec c = p.settings().cluster();
    boolean priced = !Double.isNaN(c.coreHourPrice());
    StringBuilder b = new StringBuilder("# Predicted cost report\n\n");
    b.append("Plans only: nothing ran. Cluster: ").append(c).append(".\n\n");
    b.append("## What it would choose\n\n");
    b.append("| attention | n | choice | predicted | core-hours |")
        .append(priced ? " price |" : "")
        .append(" why |\n|---|---:|---|---:|---:|")
        .append(priced ? "---:|" : "")
        .append("---|\n");
    for (Prediction.Choice ch : p.choices()) {
      Prediction.Row r = ch.chosen();
      String kind =
          ch.kind().label() + (ch.kind() == Prediction.Kind.LOCAL ? " w=" + ch.window() : "");
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %s | %s | %s |%s %s |\n",
              kind,
              ch.seqLen(),
              r == null ? "none fits" : r.strategy() + ", B = " + r.blockSize(),
              r == null ? "–" : Prediction.seconds(r.seconds()),
              r == null ? "–" : String.format(Locale.ROOT, "%.3g", c.coreHours(r.seconds())),
              priced
                  ? (r == null
                      ? " – |"
                      : String.format(Locale.ROOT, " %.4g |", c.price(r.seconds())))
                  : "",
              ch.why()));
    }
    b.append("\n## Every plan\n\n");
    b.append(
        "| config | n | tasks | partitions | fits | largest task | shuffle | kernel s | softmax s | shuffle s | task fixed s | stage fixed s | predicted | core-hours |\n");
    b.append("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Prediction.Row r : p.rows()) {
      TimeModel.Terms t = r.terms();
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %,d | %s | %s | %s | %.3g | %.3g | %.3g | %.3g | %.3g | %s | %.3g |\n",
              r.config(),
              r.seqLen(),
              r.estimate().tasks(),
              t.partitions(),
              r.fits() ? "yes" : "**no**",
              Prediction.bytes(r.estimate().peakTaskBytes()),
              Prediction.bytes(r.estimate().shuffleBytes()),
              t.kernelSeconds(),
              t.softmaxSeconds(),
              t.shuffleSeconds(),
              t.taskFixedSeconds(),
              t.stageFixedSeconds(),
              Prediction.seconds(r.seconds()),
              c.coreHours(r.seconds())));
    }
    if (!crossovers.isEmpty()) {
      b.append(
          String.format(
              Locale.ROOT,
              "\n## Crossover: local more than %.0f× cheaper than global\n\n",
              Crossover.RATIO));
      for (Crossover.Result x : crossovers) {
        b.append("- ").append(x.describe()).append(".\n");
      }
    }
    b.append(
        "\nTime is the time model's sum of its terms (docs/cost-report.md): the kernel's products and"
            + " softmax at the calibrated per-core rates over the busy slots, shuffle bytes at the"
            + " calibrated rate per slot, a fixed cost per wave of attention tasks and per stage."
            + " Core-hours hold the whole cluster for the predicted time. A plan fits when its largest"
            + " task's working set is within a task's share of executor memory.\n\n");
    for (String chart : charts) {
      b.append("![").append(chart).append("](").append(chart).append(")\n\n");
    }
    b.append("## Calibration and settings\n\n");
    settings.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
    Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
  }

  private static String chart(
      Prediction.Result p,
      String title,
      String y,
      ToDoubleFunction<Prediction.Row> f,
      Path dir,
      String name)
      throws IOException {
    XYChart c =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title(title)
            .xAxisTitle("n (tokens)")
            .yAxisTitle(y)
            .build();
    c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true);
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    TreeSet<String> configs = new TreeSet<>();
    p.rows().forEach(r -> configs.add(r.config()));
    for (String config : configs) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Prediction.Row r : p.rows()) {
        double v = f.applyAsDouble(r);
        if (r.config().equals(config) && v > 0) {
          xs.add((double) r.seqLen());
          ys.add(v);
        }
      }
      if (!xs.isEmpty()) {
        c.addSeries(config, xs, ys).setMarker(SeriesMarkers.CIRCLE);
      }
    }
    BitmapEncoder.saveBitmap(c, dir.resolve(name).toString(), BitmapEncoder.BitmapFormat.PNG);
    return name + ".png";
  }
}
