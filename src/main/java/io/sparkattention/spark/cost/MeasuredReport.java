package io.sparkattention.spark.cost;

import io.sparkattention.cost.Calibration;
import io.sparkattention.cost.CalibrationCheck;
import io.sparkattention.cost.CostRow;
import io.sparkattention.cost.Crossover;
import io.sparkattention.cost.ReportCharts;
import io.sparkattention.cost.ReportFiles;
import io.sparkattention.cost.TimeFit;
import io.sparkattention.cost.TimeModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The measured cost report: a calibrated sweep, the fitted time model, and the files written. */
public final class MeasuredReport {
  /** The runs beside another calibration's predictions (with {@code --calibration}). */
  static final String PREDICTED_CSV = "predicted-from-calibration.csv";

  private MeasuredReport() {}

  /**
   * Calibrates, sweeps, fits the time model and writes results.csv, the charts, report.md and
   * calibration.properties into {@code dir}.
   */
  public static void write(SparkSession spark, SweepSettings settings, Path dir)
      throws IOException {
    Calibration cal = CostSweep.calibrate(spark, settings);
    TimeModel start = CostSweep.model(spark, cal);
    List<CostRow> measured = CostSweep.sweep(spark, settings, start);
    TimeFit.Fitted fitted = TimeFit.fitRows(measured, start);
    List<CostRow> rows = fitted.rows();
    List<Crossover.Result> crossovers = new ArrayList<>();
    Crossover.Result measuredCrossover = Crossover.measured(rows, settings.window());
    if (measuredCrossover != null && settings.input() == null && settings.kvHeads() == 0) {
      crossovers.add(measuredCrossover);
      crossovers.add(
          Crossover.predict(
              fitted.model(),
              settings.window(),
              settings.blockSize(),
              settings.numHeads(),
              settings.dModel(),
              measuredCrossover.curve().keySet().iterator().next()));
    }
    ReportFiles.writeCsv(rows, dir.resolve("results.csv"));
    List<String> charts = new ArrayList<>(ReportCharts.write(rows, dir));
    if (!crossovers.isEmpty()) {
      charts.add(ReportCharts.writeCrossover(crossovers, dir));
    }
    Calibration fittedCal =
        cal.withFixed(
            fitted.model(),
            "fitted to the "
                + rows.size()
                + " runs of a measured cost report, "
                + LocalDate.now()
                + ", master "
                + spark.sparkContext().master());
    fittedCal.write(dir.resolve("calibration.properties"));
    ReportFiles.writeMarkdown(
        rows,
        fitted,
        crossovers,
        describe(spark, fittedCal, fitted),
        charts,
        dir.resolve("report.md"));
    if (settings.otherCalibration() != null) {
      Calibration other = settings.otherCalibration();
      CalibrationCheck check =
          CalibrationCheck.of(
              rows,
              CostSweep.model(spark, other),
              settings.otherCalibrationSource() + " (" + other.source() + ")");
      check.writeCsv(dir.resolve(PREDICTED_CSV));
      Files.writeString(
          dir.resolve("report.md"),
          "\n" + check.markdown(PREDICTED_CSV),
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
      System.err.printf(
          Locale.ROOT,
          "predicted from %s: median |error| %.0f %%, worst %.0f %%%n",
          settings.otherCalibrationSource(),
          100 * check.medianAbsError(),
          100 * check.worstAbsError());
    }
    System.err.println("cost report written to " + dir.resolve("report.md"));
  }

  private static Map<String, String> describe(
      SparkSession spark, Calibration cal, TimeFit.Fitted fitted) {
    SparkConf conf = spark.sparkContext().getConf();
    Map<String, String> m = new LinkedHashMap<>();
    m.put("date", LocalDate.now().toString());
    m.put("machine", cal.machine());
    m.put("Java", System.getProperty("java.version"));
    m.put(
        "Spark",
        spark.version()
            + ", master "
            + conf.get("spark.master", "?")
            + ", default parallelism "
            + spark.sparkContext().defaultParallelism());
    m.put(
        "driver memory",
        conf.get("spark.driver.memory", "1g (default)")
            + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MiB");
    m.put(
        "serializer",
        conf.get("spark.serializer", "JavaSerializer (default)") + "; shuffle compression off");
    m.put(
        "matrix engine",
        cal.engine()
            + String.format(
                java.util.Locale.ROOT,
                ", kernel measured on one core at blocks of %d, head width %d",
                cal.blockSize(),
                cal.dHead()));
    m.put("time model (fitted to every row)", fitted.model().describe());
    if (fitted.heldout() != null) {
      m.put(
          "held-out time model (fitted to n <= " + fitted.calibratedUpTo() + ")",
          fitted.heldout().describe());
    }
    m.put("calibration file", "calibration.properties (read by --predict --calibration)");
    return m;
  }
}
