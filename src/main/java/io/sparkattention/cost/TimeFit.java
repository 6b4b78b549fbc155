package io.sparkattention.cost;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Fits a {@link TimeModel}'s three fixed figures (seconds per shuffle byte 1/r, c_task, c_stage) to
 * measured runs, the kernel's rates staying as measured: non-negative least squares on relative
 * error, {@code min Σ ((t_model − t_measured) / t_measured)²} over the samples, solved exactly by
 * trying every subset of free figures (the others held at 0) and keeping the best feasible one.
 */
public final class TimeFit {
  private TimeFit() {}

  /**
   * One measured run: the model's estimate of its plan and the measured wall seconds (> 0).
   *
   * @param estimate the plan's estimate
   * @param measuredSeconds the run's median wall time
   */
  public record Sample(CostEstimate estimate, double measuredSeconds) {
    public Sample {
      if (!(measuredSeconds > 0)) {
        throw new IllegalArgumentException("measured seconds must be > 0, got " + measuredSeconds);
      }
    }
  }

  /**
   * {@code start} with r, c_task and c_stage fitted to {@code samples}.
   *
   * @throws IllegalArgumentException if there are no samples
   */
  public static TimeModel fit(TimeModel start, List<Sample> samples) {
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("a fit needs at least one measured run");
    }
    int n = samples.size();
    // Columns: seconds per shuffle byte, per task wave, per stage; row i divided by t_i.
    double[][] x = new double[n][3];
    double[] y = new double[n];
    TimeModel unit = start.withFitted(1, 1, 1);
    for (int i = 0; i < n; i++) {
      Sample s = samples.get(i);
      TimeModel.Terms t = unit.terms(s.estimate());
      double m = s.measuredSeconds();
      x[i][0] = t.shuffleSeconds() / m; // S / P at 1 byte/s
      x[i][1] = t.waves() / m;
      x[i][2] = t.stages() / m;
      // what the fixed figures must explain: the measurement less the kernel's terms
      y[i] = (m - t.kernelSeconds() - t.softmaxSeconds()) / m;
    }
    double[] best = nnls(x, y);
    return start.withFitted(best[0] > 0 ? 1 / best[0] : Double.POSITIVE_INFINITY, best[1], best[2]);
  }

  /**
   * A sweep's rows with the model fitted to all of them, and held-out predictions.
   *
   * @param rows the rows with the terms of {@code model} and, for lengths above {@code
   *     calibratedUpTo}, the prediction of {@code heldout}
   * @param model fitted to every row
   * @param heldout fitted to the rows of lengths up to {@code calibratedUpTo} only (null with fewer
   *     than two lengths)
   * @param calibratedUpTo the largest length {@code heldout} was fitted on (0: none)
   */
  public record Fitted(
      List<CostRow> rows, TimeModel model, TimeModel heldout, long calibratedUpTo) {}

  /**
   * Fits {@code start}'s fixed figures to every row of a sweep (the report's model), and again to
   * the rows of the smaller half of its lengths alone (the held-out model), whose predictions for
   * the larger lengths go beside the measurements: the model's error on sizes it has not seen.
   *
   * @param rows rows with their estimates ({@link CostRow#estimate()})
   */
  public static Fitted fitRows(List<CostRow> rows, TimeModel start) {
    List<Sample> all = new ArrayList<>();
    TreeSet<Long> lengths = new TreeSet<>();
    for (CostRow r : rows) {
      all.add(new Sample(r.estimate(), Math.max(1, r.wallMillis()) / 1000.0));
      lengths.add(r.seqLen());
    }
    TimeModel model = fit(start, all);
    TimeModel heldout = null;
    long upTo = 0;
    if (lengths.size() >= 2) {
      List<Long> sorted = new ArrayList<>(lengths);
      upTo = sorted.get((sorted.size() - 1) / 2);
      List<Sample> small = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i).seqLen() <= upTo) {
          small.add(all.get(i));
        }
      }
      heldout = fit(start, small);
    }
    List<CostRow> out = new ArrayList<>();
    for (CostRow r : rows) {
      long predicted =
          heldout != null && r.seqLen() > upTo
              ? Math.round(heldout.seconds(r.estimate()) * 1000)
              : -1;
      out.add(r.withModel(model.terms(r.estimate()), predicted));
    }
    return new Fitted(out, model, heldout, upTo);
  }

  /** Non-negative least squares over three columns by trying each subset of them. */
  static double[] nnls(double[][] x, double[] y) {
    double[] best = new double[3];
    double bestResidual = residual(x, y, best);
    for (int mask = 1; mask < 8; mask++) {
      double[] c = solve(x, y, mask);
      if (c == null) {
        continue;
      }
      boolean feasible = true;
      for (double v : c) {
        feasible &= v >= 0;
      }
      double r = residual(x, y, c);
      if (feasible && r < bestResidual) {
        best = c;
        bestResidual = r;
      }
    }
    return best;
  }

  /** Least squares over the columns in {@code mask}, the others 0; null if singular. */
  private static double[] solve(double[][] x, double[] y, int mask) {
    int[] cols = new int[Integer.bitCount(mask)];
    for (int j = 0, k = 0; j < 3; j++) {
      if ((mask & (1 << j)) != 0) {
        cols[k++] = j;
      }
    }
    int m = cols.length;
    // columns scaled to unit norm first: seconds per byte and per stage differ by 10^6
    double[] norm = new double[m];
    for (int p = 0; p < m; p++) {
      for (double[] row : x) {
        norm[p] += row[cols[p]] * row[cols[p]];
      }
      norm[p] = Math.sqrt(norm[p]);
      if (!(norm[p] > 0)) {
        return null;
      }
    }
    double[][] a = new double[m][m + 1];
    for (int i = 0; i < x.length; i++) {
      for (int p = 0; p < m; p++) {
        for (int q = 0; q < m; q++) {
          a[p][q] += x[i][cols[p]] / norm[p] * x[i][cols[q]] / norm[q];
        }
        a[p][m] += x[i][cols[p]] / norm[p] * y[i];
      }
    }
    // normal equations XᵀX c = Xᵀy by Gauss-Jordan elimination with partial pivoting
    double scale = 0;
    for (int p = 0; p < m; p++) {
      scale = Math.max(scale, Math.abs(a[p][p]));
    }
    for (int p = 0; p < m; p++) {
      int piv = p;
      for (int r = p + 1; r < m; r++) {
        if (Math.abs(a[r][p]) > Math.abs(a[piv][p])) {
          piv = r;
        }
      }
      double[] tmp = a[p];
      a[p] = a[piv];
      a[piv] = tmp;
      if (!(Math.abs(a[p][p]) > 1e-12 * scale)) {
        return null;
      }
      for (int r = 0; r < m; r++) {
        if (r != p) {
          double f = a[r][p] / a[p][p];
          for (int c = p; c <= m; c++) {
            a[r][c] -= f * a[p][c];
          }
        }
      }
    }
    double[] c = new double[3];
    for (int p = 0; p < m; p++) {
      c[cols[p]] = a[p][m] / a[p][p] / norm[p];
    }
    return c;
  }

  private static double residual(double[][] x, double[] y, double[] c) {
    double r = 0;
    for (int i = 0; i < x.length; i++) {
      double e = y[i] - x[i][0] * c[0] - x[i][1] * c[1] - x[i][2] * c[2];
      r += e * e;
    }
    return r;
  }
}
