package io.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.Matrices;
import io.sparkattention.fixtures.SoftmaxReference;
import org.ejml.data.DMatrixRMaj;

/** Elementwise comparisons that report the worst element, for the kernel tests. */
final class KernelAssert {
  /**
   * The tolerance of every cross-check against {@link SoftmaxReference} (and the other references
   * in {@code fixtures}).
   */
  static final double REL_TOL = 1e-9;

  private KernelAssert() {}

  /**
   * Asserts {@code |a - e| <= tol · max(1, |e|)} for every element and that nothing is NaN or
   * infinite unless expected; on failure names the worst (row, column).
   */
  static void assertClose(double[][] expected, DMatrixRMaj actual, double tol, String what) {
    assertEquals(expected.length, actual.numRows, what + ": rows");
    int cols = actual.numCols;
    double worst = -1;
    int wi = -1;
    int wc = -1;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i].length, cols, what + ": columns of row " + i);
      for (int c = 0; c < cols; c++) {
        double e = expected[i][c];
        double a = actual.data[i * cols + c];
        double err = relErr(e, a);
        if (err > worst || Double.isNaN(err)) {
          worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
          wi = i;
          wc = c;
        }
      }
    }
    if (worst > tol) {
      fail(
          String.format(
              "%s: worst at row %d, column %d: expected %s but was %s (relative error %.3g > %.1g)",
              what, wi, wc, expected[wi][wc], actual.data[wi * cols + wc], worst, tol));
    }
  }

  static void assertClose(double[] expected, double[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = -1;
    int wi = -1;
    for (int i = 0; i < expected.length; i++) {
      double err = relErr(expected[i], actual[i]);
      if (err > worst || Double.isNaN(err)) {
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        wi = i;
      }
    }
    if (worst > tol) {
      fail(
          String.format(
              "%s: worst at index %d: expected %s but was %s (relative error %.3g > %.1g)",
              what, wi, expected[wi], actual[wi], worst, tol));
    }
  }

  static void assertClose(DMatrixRMaj expected, DMatrixRMaj actual, double tol, String what) {
    assertEquals(expected.numCols, actual.numCols, what + ": columns");
    assertClose(Matrices.toArray(expected), actual, tol, what);
  }

  /** {@code |a - e| / max(1, |e|)}; 0 for equal infinities, +∞ for NaN or one-sided infinity. */
  static double relErr(double expected, double actual) {
    if (expected == actual) {
      return 0; // also equal infinities
    }
    if (!Double.isFinite(expected) || !Double.isFinite(actual)) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  }

  /** Asserts that no element is NaN or infinite. */
  static void assertFinite(DMatrixRMaj M, String what) {
    for (int i = 0; i < M.numRows * M.numCols; i++) {
      if (!Double.isFinite(M.data[i])) {
        fail(what + ": element (" + i / M.numCols + ", " + i % M.numCols + ") is " + M.data[i]);
      }
    }
  }
}
