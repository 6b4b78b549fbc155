package io.sparkattention.cost;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A measured report's runs beside what a calibration made elsewhere predicts for them: the check
 * that a model calibrated on one setup (say {@code local[2]}) predicts another (say a cluster of
 * two Workers) before it runs. The calibration's rates and fixed costs are used as they are, on
 * this run's slots and memory per task; nothing is refitted to the runs it predicts.
 *
 * @param source where the calibration came from (its file and what it was fitted to)
 * @param model the calibration's model on this run's slots and memory per task
 * @param lines one per measured run
 */
public record CalibrationCheck(String source, TimeModel model, List<Line> lines) {

  /**
   * One run: its measured median wall time and the calibration's prediction.
   *
   * @param config the configuration's name
   * @param seqLen the sequence length
   * @param measuredSeconds the run's median wall seconds
   * @param predictedSeconds the calibration's prediction
   */
  public record Line(String config, long seqLen, double measuredSeconds, double predictedSeconds) {
    /** (predicted − measured) / measured; NaN when nothing was measured. */
    public double error() {
      return measuredSeconds > 0
          ? (predictedSeconds - measuredSeconds) / measuredSeconds
          : Double.NaN;
    }
  }

  /**
   * Predicts every row that has an estimate with {@code model}.
   *
   * @param rows a measured report's rows
   * @param model the other calibration's model, on this run's slots and memory per task
   * @param source what to call the calibration in the report
   */
  public static CalibrationCheck of(List<CostRow> rows, TimeModel model, String source) {
    List<Line> lines = new ArrayList<>();
    for (CostRow r : rows) {
      if (r.estimate() != null && r.wallMillis() > 0) {
        lines.add(
            new Line(r.config(), r.seqLen(), r.wallMillis() / 1000.0, model.seconds(r.estimate())));
      }
    }
    return new CalibrationCheck(source, model, List.copyOf(lines));
  }

  /** The median of |error| over the lines (NaN without lines). */
  public double medianAbsError() {
    List<Double> e = absErrors();
    return e.isEmpty() ? Double.NaN : e.get(e.size() / 2);
  }

  /** The largest |error| over the lines (NaN without lines). */
  public double worstAbsError() {
    List<Double> e = absErrors();
    return e.isEmpty() ? Double.NaN : e.get(e.size() - 1);
  }

  private List<Double> absErrors() {
    List<Double> e = new ArrayList<>();
    for (Line l : lines) {
      e.add(Math.abs(l.error()));
    }
    e.sort(null);
    return e;
  }

  /** Writes the lines as CSV: config, seq_len, measured_wall_ms, predicted_wall_ms, time_error. */
  public void writeCsv(Path file) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("config,seq_len,measured_wall_ms,predicted_wall_ms,time_error\n");
      for (Line l : lines) {
        w.write(
            String.format(
                Locale.ROOT,
                "%s,%d,%d,%d,%.4f%n",
                l.config(),
                l.seqLen(),
                Math.round(l.measuredSeconds() * 1000),
                Math.round(l.predictedSeconds() * 1000),
                l.error()));
      }
    }
  }

  /** The report's section: the calibration, its model here, the table and the error summary. */
  public String markdown(String csvName) {
    StringBuilder b = new StringBuilder();
    b.append("## Predicted from another calibration\n\n");
    b.append("Calibration: ").append(source).append(".\n");
    b.append("Its model on this run's slots and memory per task: ")
        .append(model.describe())
        .append(". Nothing below is fitted to these runs.\n\n");
    b.append("| config | n | measured s | predicted s | error |\n|---|---:|---:|---:|---:|\n");
    for (Line l : lines) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.2f | %.2f | %+.0f %% |%n",
              l.config(),
              l.seqLen(),
              l.measuredSeconds(),
              l.predictedSeconds(),
              100 * l.error()));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "%nMedian |error| %.0f %%, worst %.0f %%, over %d runs (%s).%n",
            100 * medianAbsError(),
            100 * worstAbsError(),
            lines.size(),
            csvName));
    return b.toString();
  }
}
