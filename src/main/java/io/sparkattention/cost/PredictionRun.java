package io.sparkattention.cost;

import io.sparkattention.kernel.MatrixEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A predicted cost report, without Spark: calibrates the kernel at each block size (or takes a
 * calibration file's figures), plans every configuration of the settings on the described cluster,
 * and writes the report (CSV, Markdown, charts).
 */
public final class PredictionRun {
  private PredictionRun() {}

  /**
   * @param p what to predict, on which cluster
   * @param file a calibration read from a measured report, or null to measure the kernel now
   * @param source where the calibration comes from, for the report
   * @param dir where the report goes
   * @return the predictions and the choice made for each case
   */
  public static Prediction.Result run(
      Prediction.Settings p, Calibration file, String source, Path dir) throws IOException {
    long start = System.nanoTime();
    ClusterSpec cluster = p.cluster();
    Map<Integer, TimeModel> models = new TreeMap<>();
    Map<String, String> m = new LinkedHashMap<>();
    m.put("date", LocalDate.now().toString());
    m.put("cluster", cluster.toString());
    int dHead = p.dModel() / p.heads();
    for (int b : p.blockSizes()) {
      Calibration c;
      if (file != null) {
        c = file;
      } else {
        // Blocks above 2,048 run at about the rate of 2,048 (the products dominate), which takes
        // a second to measure; 4,096 would take several.
        int measuredAt = Math.min(b, 2048);
        KernelCalibration.Rates r = KernelCalibration.rates(measuredAt, dHead, 5);
        double[] fixed = Calibration.DEFAULT_FIXED;
        c =
            new Calibration(
                Calibration.thisMachine(),
                MatrixEngine.defaultEngine().name(),
                measuredAt,
                dHead,
                r.flopsPerSecond(),
                r.scoresPerSecond(),
                fixed[0],
                fixed[1],
                fixed[2],
                "built-in defaults fitted to docs/cost-report/idle-2026-11-25/ (2 cores, local[2]); see"
                    + " docs/cost-report.md");
      }
      TimeModel model = c.model(cluster.slots(), cluster.taskMemoryBytes());
      models.put(b, model);
      m.put(
          "calibration, blocks of " + b,
          c.describe() + "; " + model.describe() + "; fixed figures: " + c.source());
    }
    m.put("calibration source", source);
    Prediction.Result result = Prediction.predict(p, models::get);
    List<Crossover.Result> crossovers = new ArrayList<>();
    if (p.kinds().contains(Prediction.Kind.LOCAL)) {
      int b = p.blockSizes().get(0);
      for (int w : p.windows()) {
        crossovers.add(
            Crossover.predict(models.get(b), w, b, p.heads(), p.dModel(), Math.max(256, 2L * w)));
      }
    }
    m.put("Java", System.getProperty("java.version"));
    m.put(
        "planning took",
        String.format(java.util.Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9));
    PredictionReport.write(result, crossovers, m, dir);
    return result;
  }
}
